-- When a send attempt handed the message's bytes to the provider (after SMTP DATA was accepted,
-- before the HTTP send request). Set and committed just before; cleared when the server answered
-- with a refusal. A reply still 'sending' with this set was interrupted after the point of no
-- return: the send job then re-sends only where the Sent folder proves it was not sent.
ALTER TABLE outbox ADD COLUMN transmit_started_at timestamptz;
