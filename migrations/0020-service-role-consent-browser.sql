-- Why: serve and worker logged in as the owner and relied on SET LOCAL ROLE inlet_app, so injected
-- SQL could RESET ROLE back to the owner: read every tenant, rewrite policies, delete the audit log.
-- They now log in as a separate login role (DATABASE_URL) that is a member of two NOLOGIN roles:
--   inlet_app      the tenant role tenantTx switches to (row-level security per tenant, unchanged);
--   inlet_service  what the login role itself holds for cross-tenant background work (job
--                  bookkeeping, key lookup by prefix, sync scheduling): DML only, no DDL, no
--                  ownership, no UPDATE/DELETE on audit_log, no DELETE on tenants (whose cascade
--                  would empty the audit log), read-only migration table.
-- The owner (DATABASE_OWNER_URL) runs migrations only. The operator creates the login role and
-- grants it both roles (README "Database roles"); the embedded development database does it itself.
-- A later migration that adds a table with FORCEd row-level security also adds a policy for
-- inlet_service next to its service_owner policy, or background work sees no rows of it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'inlet_service') THEN
    CREATE ROLE inlet_service NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO inlet_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO inlet_service;
REVOKE INSERT, UPDATE, DELETE ON inlet_migrations FROM inlet_service;
REVOKE UPDATE, DELETE ON audit_log FROM inlet_service;
REVOKE DELETE ON tenants FROM inlet_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO inlet_service;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO inlet_service;
-- Tables a later migration creates get the same DML grants (the policy is still theirs to add).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO inlet_service;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO inlet_service;

-- Every table the owner reaches through its service_owner policy, the service role reaches too.
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT DISTINCT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = 'service_owner' LOOP
    EXECUTE format('CREATE POLICY service_role ON %I TO inlet_service USING (true) WITH CHECK (true)', t);
  END LOOP;
END
$$;


-- Consent bound to the browser that opened Inlet's one-time consent URL: the SHA-256 of the nonce
-- in that browser's cookie. NULL until the consent URL is opened; set once.
ALTER TABLE oauth_states ADD COLUMN browser_hash bytea;
