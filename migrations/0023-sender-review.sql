-- Why: a message whose receiving server says DMARC failed is kept off the ticket it claimed (by
-- subject token, In-Reply-To or provider thread) and opens a ticket of its own; until now only the
-- sealed headers document said which ticket it claimed, so a helpdesk could not find such tickets
-- without opening every message. The claimed ticket's id is not mail content, so it is a plain
-- column: GET /v1/tickets?review=sender_unverified lists the tickets holding such a message, and
-- message.received carries it. Rows stored before this migration keep it only in their headers.
-- If the claimed ticket is deleted (erasure, purge) the message stays and forgets the id.

ALTER TABLE messages ADD COLUMN withheld_from_ticket_id uuid;
ALTER TABLE messages ADD CONSTRAINT messages_withheld_from_fk
  FOREIGN KEY (tenant_id, withheld_from_ticket_id) REFERENCES tickets (tenant_id, id)
  ON DELETE SET NULL (withheld_from_ticket_id);

-- The review filter looks up a ticket's withheld messages; the foreign key's delete finds the
-- messages naming a ticket. Both cover only the few withheld rows.
CREATE INDEX messages_withheld_ticket ON messages (tenant_id, ticket_id) WHERE withheld_from_ticket_id IS NOT NULL;
CREATE INDEX messages_withheld_from ON messages (tenant_id, withheld_from_ticket_id) WHERE withheld_from_ticket_id IS NOT NULL;
