-- Why: agents' replies leave through a transactional outbox. The reply API writes the outbound
-- `messages` row, one `outbox` row and the send job in ONE transaction; the send job is the only
-- thing that talks to the provider. Promise 5 ("at most once") lives here:
--   * (tenant_id, idempotency_key) is unique, so a retried API request finds the first reply instead
--     of creating a second one; request_hash (HMAC under the tenant's index key, never a plain hash
--     of content) tells a true replay from the same key reused for a different body (409).
--   * state 'sending' is written before the provider is called; a job that finds it there does not
--     know whether the mail left, so it looks the signed Message-ID up in Sent before sending again.
-- The RFC Message-ID is sealed under the mailbox key (it names the mailbox's domain); lookups go
-- through messages.message_id_bidx like every other Message-ID.

CREATE TABLE outbox (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  ticket_id uuid NOT NULL,
  message_id uuid NOT NULL,
  mailbox_id uuid NOT NULL,
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  request_hash bytea NOT NULL,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  last_error_class text,
  failure_reason text,
  rfc_message_id_ct bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  next_attempt_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, idempotency_key),
  UNIQUE (tenant_id, message_id),
  CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
);
-- Sends not finished yet, per mailbox (operators' "what is stuck" query, disconnect cancelling them).
CREATE INDEX outbox_pending ON outbox (tenant_id, mailbox_id, created_at) WHERE state IN ('queued', 'sending');

GRANT SELECT, INSERT, UPDATE ON outbox TO inlet_app;

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id());
DO $$ BEGIN EXECUTE format('CREATE POLICY service_owner ON outbox TO %I USING (true) WITH CHECK (true)', current_user); END $$;
