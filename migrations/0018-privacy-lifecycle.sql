-- Why: the privacy lifecycle (DESIGN promises 6 and 7).
--   * kek_epochs: when each key-encryption key became active, when every live data key had moved off
--     it (retired), when it must be destroyed (retired + KEY_RETENTION_DAYS) and when it was. The KEKs
--     themselves live outside the database (INLET_MASTER_KEYS or Vault transit); destroying a retired
--     one is what makes a database backup older than the window unreadable. Operator data, no tenant:
--     only the owner role reads it.
--   * subject_requests: data-subject export and erasure, matched by the address's blind index only.
--     An export's zip is kept sealed under the tenant key until it is downloaded (once) or expires.
--   * privacy_receipts: what an erasure, a retention sweep or a tenant offboarding deleted (counts, never
--     content). Like audit_log and deletion_receipts they outlive everything else of their tenant.
--   * retention_policies: per tenant, with optional per-mailbox overrides.
--   * tenants.deleted_at: an offboarded tenant stays as a tombstone row that its receipts point at.

CREATE TABLE kek_epochs (
  kek_id text PRIMARY KEY,
  provider text NOT NULL CHECK (provider IN ('keyring', 'vault')),
  activated_at timestamptz NOT NULL,
  retired_at timestamptz,
  destroy_after timestamptz,
  destroyed_at timestamptz,
  CHECK ((retired_at IS NULL) = (destroy_after IS NULL))
);

ALTER TABLE tenants ADD COLUMN deleted_at timestamptz;

CREATE TABLE subject_requests (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  type text NOT NULL CHECK (type IN ('export', 'erase')),
  address_bidx bytea NOT NULL,
  -- The address itself, sealed under the tenant key, only while the job needs it (cleared when done).
  address_ct bytea,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'completed', 'failed', 'expired', 'downloaded')),
  progress_done integer NOT NULL DEFAULT 0,
  progress_total integer,
  counts jsonb NOT NULL DEFAULT '{}'::jsonb,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  expires_at timestamptz,
  downloaded_at timestamptz,
  export_ct bytea,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX subject_requests_address ON subject_requests (tenant_id, address_bidx, type, requested_at DESC);
ALTER TABLE subject_requests ALTER COLUMN export_ct SET STORAGE EXTERNAL;

CREATE TABLE privacy_receipts (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  kind text NOT NULL CHECK (kind IN ('erasure', 'retention', 'tenant_offboarding')),
  subject_request_id uuid,
  requested_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  counts jsonb NOT NULL DEFAULT '{}'::jsonb,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX privacy_receipts_kind ON privacy_receipts (tenant_id, kind, started_at DESC);

CREATE TABLE retention_policies (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  mailbox_id uuid,
  inactive_days integer CHECK (inactive_days BETWEEN 1 AND 36500),
  closed_days integer CHECK (closed_days BETWEEN 1 AND 36500),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX retention_policies_scope ON retention_policies (tenant_id, coalesce(mailbox_id, '00000000-0000-0000-0000-000000000000'::uuid));
-- The retention sweep walks tickets by last activity and closed tickets by their last update.
CREATE INDEX tickets_activity ON tickets (tenant_id, last_activity_at);
-- Erasure finds a person's messages by sender index.
CREATE INDEX messages_from ON messages (tenant_id, from_bidx);
CREATE INDEX ticket_participants_address ON ticket_participants (tenant_id, address_bidx);

-- Erasure and the disconnect's move of shared tickets delete a person's replies as the tenant role.
GRANT DELETE ON outbox TO inlet_app;
GRANT SELECT, INSERT, UPDATE ON subject_requests TO inlet_app;
GRANT SELECT, INSERT, UPDATE ON privacy_receipts TO inlet_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON retention_policies TO inlet_app;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['subject_requests', 'privacy_receipts', 'retention_policies'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id())', t);
    EXECUTE format('CREATE POLICY service_owner ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
  END LOOP;
END
$$;
