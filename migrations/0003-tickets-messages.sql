-- Why: the ingest pipeline's tables. Every piece of mail content is a *_ct column sealed under the
-- mailbox's data key; lookups use blind indexes (*_bidx, HMAC under the tenant's index key).
-- Idempotency lives in unique indexes: one delivery per (mailbox, provider message id), one inbound
-- message per (tenant, Message-ID) — the same mail in two mailboxes of a tenant is stored once.

ALTER TABLE mailboxes ADD COLUMN cursor jsonb;

CREATE TABLE ticket_counters (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  last_number bigint NOT NULL
);

CREATE TABLE tickets (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  number bigint NOT NULL,
  mailbox_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'solved', 'closed')),
  subject_ct bytea NOT NULL,
  requester_ct bytea,
  requester_bidx bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX tickets_updated ON tickets (tenant_id, updated_at DESC, id DESC);
CREATE INDEX tickets_requester ON tickets (tenant_id, requester_bidx);

-- Addresses that took part in a ticket: a subject token [#N] is honoured only from one of them.
CREATE TABLE ticket_participants (
  tenant_id uuid NOT NULL,
  ticket_id uuid NOT NULL,
  address_bidx bytea NOT NULL,
  PRIMARY KEY (tenant_id, ticket_id, address_bidx),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE messages (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  ticket_id uuid NOT NULL,
  mailbox_id uuid NOT NULL,
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  message_id_bidx bytea NOT NULL,
  provider_thread_id text,
  kind text NOT NULL CHECK (kind IN ('human', 'auto_reply', 'bounce', 'own_echo', 'loop', 'agent_reply')),
  kind_reasons text[] NOT NULL DEFAULT '{}',
  thread_rule text NOT NULL CHECK (thread_rule IN ('in_reply_to', 'references', 'provider_thread', 'subject_token', 'bounce_original', 'new_ticket', 'outbound')),
  from_bidx bytea,
  headers_ct bytea NOT NULL,
  text_ct bytea,
  html_ct bytea,
  reply_ct bytea,
  raw_ct bytea,
  warnings text[] NOT NULL DEFAULT '{}',
  sent_at timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX messages_rfc_id ON messages (tenant_id, message_id_bidx);
CREATE INDEX messages_ticket ON messages (tenant_id, ticket_id, received_at);
CREATE INDEX messages_provider_thread ON messages (tenant_id, mailbox_id, provider_thread_id) WHERE provider_thread_id IS NOT NULL;
CREATE INDEX messages_loop ON messages (tenant_id, ticket_id, from_bidx, received_at);

-- One row per (mailbox, provider message): the replay / duplicate-push guard.
CREATE TABLE message_deliveries (
  tenant_id uuid NOT NULL,
  mailbox_id uuid NOT NULL,
  provider_message_id text NOT NULL,
  message_id uuid,
  outcome text NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'parked')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, mailbox_id, provider_message_id),
  FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE attachments (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  message_id uuid NOT NULL,
  mailbox_id uuid NOT NULL,
  position integer NOT NULL,
  filename_ct bytea NOT NULL,
  content_id_ct bytea,
  declared_type text NOT NULL,
  sniffed_type text NOT NULL,
  size integer NOT NULL,
  sha256 text NOT NULL,
  inline boolean NOT NULL,
  flags text[] NOT NULL DEFAULT '{}',
  scan_status text NOT NULL CHECK (scan_status IN ('pending', 'clean', 'infected', 'scan_failed')),
  scan_detail text,
  scan_attempts integer NOT NULL DEFAULT 0,
  scanned_at timestamptz,
  content_ct bytea NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, message_id, position),
  FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_pending ON attachments (tenant_id, scan_status) WHERE scan_status = 'pending';

-- A message that could not be ingested: kept (encrypted) with its reason, never silently dropped.
CREATE TABLE ingest_failures (
  tenant_id uuid NOT NULL,
  mailbox_id uuid NOT NULL,
  provider_message_id text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  error_code text NOT NULL,
  parked_at timestamptz,
  raw_ct bytea,
  first_failed_at timestamptz NOT NULL DEFAULT now(),
  last_failed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, mailbox_id, provider_message_id),
  FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
);

-- Events for the helpdesk (delivered as webhooks by a later issue). Ids only, never content.
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  type text NOT NULL,
  resource_id uuid NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_undelivered ON events (id) WHERE delivered_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON ticket_counters TO inlet_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tickets, ticket_participants, messages, message_deliveries, attachments, ingest_failures TO inlet_app;
GRANT SELECT, INSERT, UPDATE ON events TO inlet_app;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ticket_counters', 'tickets', 'ticket_participants', 'messages', 'message_deliveries', 'attachments', 'ingest_failures', 'events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id())', t);
    EXECUTE format('CREATE POLICY service_owner ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
  END LOOP;
END
$$;
