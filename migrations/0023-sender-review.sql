-- Why: a message whose receiving server says DMARC failed is kept off the ticket it claimed (by
-- subject token, In-Reply-To or provider thread) and opens a ticket of its own; until now only the
-- sealed headers document said which ticket it claimed, so a helpdesk could not find such tickets
-- without opening every message. The claimed ticket's id is not mail content, so it is a plain
-- column: GET /v1/tickets?review=sender_unverified lists the tickets holding such a message, and
-- message.received carries it. Rows stored before this migration keep it only in their headers.
-- No foreign key: the claimed ticket may be purged with its mailbox (or erased) while the spoof
-- stays, and the spoof still needs review; a key would block that delete or, with SET NULL, drop
-- the spoof from the queue. The id then names no ticket, as it does in the sealed headers.

ALTER TABLE messages ADD COLUMN withheld_from_ticket_id uuid;

-- The review filter looks up a ticket's withheld messages: only those few rows are indexed.
CREATE INDEX messages_withheld_ticket ON messages (tenant_id, ticket_id) WHERE withheld_from_ticket_id IS NOT NULL;
