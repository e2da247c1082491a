-- Why: "disconnect deletes" (DESIGN promise 6). A disconnect destroys the mailbox's data key at once
-- and schedules a purge job that deletes every row of the mailbox in bounded batches. What stays is
-- the mailbox row as a tombstone (status 'disconnected', no ciphertext, no blind index) and one
-- deletion receipt: who disconnected, when, what happened at the provider (push stopped, grant
-- revoked), when the key was destroyed, how many rows of which table were purged and when the purge
-- finished. The receipt holds no content and has no foreign key to the mailbox, so it outlives the
-- purge (and a later deletion of the tombstone); like audit_log it blocks the deletion of its tenant.

CREATE TABLE deletion_receipts (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  mailbox_id uuid NOT NULL,
  provider text NOT NULL CHECK (provider IN ('local', 'imap', 'gmail', 'graph')),
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  purge_after timestamptz NOT NULL,
  push_stop text NOT NULL DEFAULT 'pending' CHECK (push_stop IN ('pending', 'stopped', 'failed', 'not_applicable')),
  push_error_class text,
  grant_revoke text NOT NULL DEFAULT 'pending' CHECK (grant_revoke IN ('pending', 'revoked', 'failed', 'not_applicable')),
  grant_error_class text,
  key_destroyed_at timestamptz,
  purge_started_at timestamptz,
  -- table name → rows deleted; each batch adds its counts in the transaction that deleted them.
  rows_purged jsonb NOT NULL DEFAULT '{}'::jsonb,
  completed_at timestamptz,
  PRIMARY KEY (tenant_id, mailbox_id)
);

GRANT SELECT, INSERT, UPDATE ON deletion_receipts TO inlet_app;

ALTER TABLE deletion_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE deletion_receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON deletion_receipts TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id());
DO $$ BEGIN EXECUTE format('CREATE POLICY service_owner ON deletion_receipts TO %I USING (true) WITH CHECK (true)', current_user); END $$;

-- Foreign keys with ON DELETE CASCADE whose referencing columns had no usable (non-partial) index:
-- every deleted parent row scanned the whole child table. The purge deletes by these columns too.
CREATE INDEX data_keys_mailbox ON data_keys (tenant_id, mailbox_id);
CREATE INDEX tickets_mailbox ON tickets (tenant_id, mailbox_id);
CREATE INDEX messages_mailbox ON messages (tenant_id, mailbox_id);
CREATE INDEX message_deliveries_message ON message_deliveries (tenant_id, message_id);
CREATE INDEX outbox_ticket ON outbox (tenant_id, ticket_id);
CREATE INDEX outbox_mailbox ON outbox (tenant_id, mailbox_id);
