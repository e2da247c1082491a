-- Why: a bounce that answers an agent's reply (its returned Message-ID is one Inlet signed) marks
-- that reply 'bounced' and names the bounce message, so the helpdesk sees which reply failed and
-- for whom (issue #16). A bounced reply was sent: sent_at stays set. The recipients and their
-- diagnostics live in the bounce message's sealed headers document, never here in plain text.
-- No foreign key on bounce_message_id: a subject erasure may delete the bounce message while the
-- reply stays; the view then shows the state without the recipients.

ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled', 'bounced'));
ALTER TABLE outbox DROP CONSTRAINT outbox_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_sent_at_check CHECK ((state IN ('sent', 'bounced')) = (sent_at IS NOT NULL));
ALTER TABLE outbox ADD COLUMN bounce_message_id uuid;
ALTER TABLE outbox ADD COLUMN bounced_at timestamptz;
