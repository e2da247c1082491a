-- Why: every tenant table is protected by row-level security for a role that does not own it.
-- The service connects as the owner (it runs migrations) and switches to inlet_app with
-- SET LOCAL ROLE inside each tenant transaction, setting inlet.tenant_id with set_config(..., true).
-- Without a tenant set, inlet_tenant_id() is NULL and every policy matches no rows.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'inlet_app') THEN
    CREATE ROLE inlet_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
END
$$;

-- The owner must be a member to SET ROLE; harmless when it already is.
DO $$
BEGIN
  EXECUTE format('GRANT inlet_app TO %I', current_user);
EXCEPTION WHEN others THEN
  NULL; -- already a member, or a superuser (which may SET ROLE anyway)
END
$$;

GRANT USAGE ON SCHEMA public TO inlet_app;

CREATE FUNCTION inlet_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('inlet.tenant_id', true), '')::uuid $$;
