-- Why: the helpdesk's events feed and webhooks (issue #17), and stable orders for ticket reads (#19).
--
-- Feed order. events.id comes from an identity sequence: ids are handed out when rows are inserted,
-- not when their transactions commit, so a reader that has seen id 12 can later see id 11 appear
-- (its transaction committed after). A cursor over ids would skip it. The feed therefore orders by
-- `position`, assigned AFTER commit by one sequencer step per tenant (src/events/sequencer.ts): it
-- takes a per-tenant advisory lock, numbers the tenant's committed, unnumbered events from
-- events_position_seq and fans them out to webhook endpoints in the same transaction. Two
-- sequencers of one tenant never overlap (the lock), and a later one starts only after the earlier
-- one committed, so positions become visible in increasing order: a reader's cursor never passes a
-- position that could still appear.
CREATE SEQUENCE events_position_seq AS bigint;
ALTER TABLE events ADD COLUMN position bigint;
CREATE UNIQUE INDEX events_feed ON events (tenant_id, position) WHERE position IS NOT NULL;
CREATE INDEX events_unsequenced ON events (tenant_id, id) WHERE position IS NULL;
CREATE INDEX events_created ON events (created_at);
-- delivered_at was a placeholder for a single delivery; deliveries are per endpoint now.
DROP INDEX events_undelivered;
ALTER TABLE events DROP COLUMN delivered_at;
GRANT USAGE ON SEQUENCE events_position_seq TO inlet_app;

-- The catalogue's names (issue #17) for events recorded before it.
UPDATE events SET type = 'reply.sent' WHERE type = 'message.sent';
UPDATE events SET type = 'reply.failed' WHERE type = 'message.send_failed';
UPDATE events SET type = 'reply.cancelled' WHERE type = 'message.send_cancelled';
UPDATE events SET type = 'attachment.scanned', data = data || '{"status": "infected"}'::jsonb WHERE type = 'attachment.infected';

-- Wakes the webhook dispatcher when events commit (NOTIFY is delivered at commit; one per
-- transaction, since identical notifications in a transaction are folded).
CREATE FUNCTION inlet_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('inlet_events', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION inlet_events_notify();

-- Arrival order of messages within a ticket. Messages stored by one page share received_at (one
-- transaction's now()), and a tie broken by a random uuid listed a reply before its original.
CREATE SEQUENCE messages_seq_seq AS bigint;
ALTER TABLE messages ADD COLUMN seq bigint;
UPDATE messages m SET seq = o.n FROM (SELECT tenant_id, id, row_number() OVER (ORDER BY received_at, id) AS n FROM messages) o
 WHERE m.tenant_id = o.tenant_id AND m.id = o.id;
SELECT setval('messages_seq_seq', coalesce((SELECT max(seq) FROM messages), 0) + 1, false);
ALTER TABLE messages ALTER COLUMN seq SET DEFAULT nextval('messages_seq_seq');
ALTER TABLE messages ALTER COLUMN seq SET NOT NULL;
ALTER SEQUENCE messages_seq_seq OWNED BY messages.seq;
CREATE INDEX messages_ticket_seq ON messages (tenant_id, ticket_id, seq);
GRANT USAGE ON SEQUENCE messages_seq_seq TO inlet_app;

-- Webhook endpoints of a tenant. Signing secrets are sealed under the tenant's data key; during a
-- rotation the previous secret keeps signing (a second signature) until previous_secret_expires_at.
CREATE TABLE webhook_endpoints (
  id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  url text NOT NULL,
  description text NOT NULL DEFAULT '',
  types text[] NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  disabled_reason text,
  secret_ct bytea NOT NULL,
  previous_secret_ct bytea,
  previous_secret_expires_at timestamptz,
  failing_since timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

-- One row per (endpoint, event): at-least-once delivery with retries.
CREATE TABLE webhook_deliveries (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  endpoint_id uuid NOT NULL,
  event_id bigint NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (tenant_id, event_id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id);

-- Every attempt, as the helpdesk sees it: status, latency, response code and a short body prefix.
CREATE TABLE webhook_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id uuid NOT NULL,
  endpoint_id uuid NOT NULL,
  delivery_id uuid NOT NULL,
  event_id bigint NOT NULL,
  attempt integer NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  response_status integer,
  latency_ms integer NOT NULL,
  error text,
  response_prefix text,
  attempted_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (tenant_id, endpoint_id, id DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints, webhook_deliveries, webhook_attempts TO inlet_app;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id())', t);
    EXECUTE format('CREATE POLICY service_owner ON %I TO %I USING (true) WITH CHECK (true)', t, current_user);
  END LOOP;
END
$$;
