-- Why: Gmail mailboxes connect through Google's OAuth consent flow and are kept current by Pub/Sub
-- push. That needs (1) the consent `state` kept server-side — single use, expiring, bound to the
-- tenant that started it, holding the PKCE verifier sealed under the tenant's key and the return URL
-- — and (2) the mailbox's push channel (the Gmail watch) with its expiry, so the daily renewal job
-- finds the watches to renew without decrypting anything.

CREATE TABLE oauth_states (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider text NOT NULL CHECK (provider IN ('gmail', 'graph')),
  verifier_ct bytea NOT NULL,
  return_url text NOT NULL CHECK (length(return_url) BETWEEN 1 AND 2000),
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (id)
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

ALTER TABLE oauth_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_states FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oauth_states TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id());
DO $$ BEGIN EXECUTE format('CREATE POLICY service_owner ON oauth_states TO %I USING (true) WITH CHECK (true)', current_user); END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_states TO inlet_app;

-- The provider's push registration (Gmail: the watch's history id and expiration). No personal data.
ALTER TABLE mailboxes
  ADD COLUMN push_channel jsonb,
  ADD COLUMN push_expires_at timestamptz;
CREATE INDEX mailboxes_push_expiry ON mailboxes (push_expires_at) WHERE status = 'active' AND push_expires_at IS NOT NULL;
