-- Why: the security core. Tenants and their hashed API keys; data keys stored only wrapped by a
-- key-encryption key (crypto-shredding = dropping the wrapped copy); mailboxes (content encrypted);
-- the append-only audit log. Every tenant table has tenant_id, composite keys that include it, and
-- FORCEd row-level security.
--
-- Policies: inlet_app (what every request and job switches to) sees only the tenant set with
-- SET LOCAL inlet.tenant_id. The owning role (current_user here: migrations, API-key lookup by prefix,
-- job bookkeeping, operator commands) has an explicit policy of its own; FORCE makes sure no other
-- role, owner included, gets rows by default.

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  prefix text NOT NULL UNIQUE,
  secret_hash bytea NOT NULL,
  name text NOT NULL DEFAULT '',
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);

-- purpose: index (blind-index HMAC key), signing (outbound Message-ID HMAC), tenant (tenant-wide
-- content such as contacts), mailbox (one per mailbox; destroying it shreds that mailbox's data).
CREATE TABLE data_keys (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('index', 'signing', 'tenant', 'mailbox')),
  mailbox_id uuid,
  kek_id text,
  wrapped bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  rewrapped_at timestamptz,
  destroyed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id),
  CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL)),
  CHECK ((purpose = 'mailbox') = (mailbox_id IS NOT NULL))
);
CREATE UNIQUE INDEX data_keys_one_per_purpose ON data_keys (tenant_id, purpose) WHERE purpose <> 'mailbox';
CREATE UNIQUE INDEX data_keys_one_per_mailbox ON data_keys (tenant_id, mailbox_id) WHERE purpose = 'mailbox';
CREATE INDEX data_keys_kek ON data_keys (kek_id) WHERE wrapped IS NOT NULL;

CREATE TABLE mailboxes (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider text NOT NULL CHECK (provider IN ('local', 'imap', 'gmail', 'graph')),
  status text NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'reauth_required', 'error', 'disconnecting', 'disconnected')),
  address_ct bytea,
  address_bidx bytea,
  display_name_ct bytea,
  credentials_ct bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  disconnected_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE UNIQUE INDEX mailboxes_address ON mailboxes (tenant_id, address_bidx) WHERE status <> 'disconnected';

ALTER TABLE data_keys ADD FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE;

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  request_id text,
  client_ip inet,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC, id DESC);

-- Append-only, whoever asks: no UPDATE ever, DELETE only through the retention purge (owner).
CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();

GRANT SELECT ON tenants TO inlet_app;
GRANT SELECT, INSERT, UPDATE ON api_keys TO inlet_app;
GRANT SELECT, INSERT, UPDATE ON data_keys TO inlet_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON mailboxes TO inlet_app;
GRANT SELECT, INSERT ON audit_log TO inlet_app;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['api_keys', 'data_keys', 'mailboxes', 'audit_log'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id())', t);
    EXECUTE format('CREATE POLICY service_owner ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
  END LOOP;
END
$$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants TO inlet_app USING (id = inlet_tenant_id());
DO $$ BEGIN EXECUTE format('CREATE POLICY service_owner ON tenants TO %I USING (true) WITH CHECK (true)', current_user); END $$;
