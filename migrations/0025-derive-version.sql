-- Why: an inbound message's text, sanitised HTML, reply, warnings and shown header fields are
-- derived from its sealed original (message_raw_chunks, or raw_ct before 0009), which stays the
-- source of truth; after a parser, sanitiser or reply-extraction fix they must be rebuilt, or the
-- fix only helps new mail and HTML kept from before a sanitiser fix stays as it was sanitised then
-- (security.md control 19). derive_version records the version of the derivation
-- (src/ingest/derive-version.ts) that made or last checked a row's views; the messages.reparse job
-- rebuilds inbound rows below the version the worker runs. Every row stored so far was derived by
-- the first numbered version, so the default marks them current: they are rebuilt only once that
-- version moves past 1. A constant default rewrites no row. Ingest writes the version explicitly;
-- outbound messages (agent replies, not derived from an original) write NULL.
ALTER TABLE messages ADD COLUMN derive_version integer DEFAULT 1;

-- The rebuild finds a mailbox's rows below a version without reading the others, and the start-up
-- check finds whether any mailbox has one. Inbound rows only: outbound ones are never rebuilt.
CREATE INDEX messages_derive_version ON messages (tenant_id, mailbox_id, derive_version) WHERE direction = 'inbound';
