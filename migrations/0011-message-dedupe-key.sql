-- Why: dedupe on the Message-ID alone lost mail. A sender reusing a Message-ID for different
-- content had the later mail recorded as a duplicate, never stored. Messages are now the same
-- only when Message-ID and content match: dedupe_bidx is a blind index (HMAC under the tenant's
-- index key) of both, written with every inbound message. The Message-ID index stays, no longer
-- unique, for threading. Rows stored before this have no dedupe_bidx and keep the old rule (same
-- Message-ID = same message): their content cannot be read here to compute one.
--
-- One row per (tenant, dedupe key, mailbox): the same message in two mailboxes is stored once by the
-- page lookup (which only counts mailboxes that are not being disconnected, so the copy in a
-- reconnected mailbox is stored again while the old one awaits its purge), and two pages racing on
-- it are serialised by a transaction advisory lock on the key.

ALTER TABLE messages ADD COLUMN dedupe_bidx bytea;
DROP INDEX messages_rfc_id;
CREATE INDEX messages_rfc_id ON messages (tenant_id, message_id_bidx);
CREATE UNIQUE INDEX messages_dedupe ON messages (tenant_id, dedupe_bidx, mailbox_id) WHERE dedupe_bidx IS NOT NULL;
