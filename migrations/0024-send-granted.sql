-- Why: Google's granular consent and Microsoft's consent screen let a user grant reading without
-- sending, and a later token refresh can come back with fewer scopes than consent had. Ingest still
-- works then, but a reply would only fail at the provider (and Gmail's 403 reads as a dead grant).
-- Each token exchange and refresh records here whether sending is granted; while it is false the
-- reply API answers 409 mailbox_send_not_granted and no send job calls the provider. A later
-- refresh or a re-consent that carries the send scope sets it back. Every existing mailbox passed
-- the consent check for both scopes, so the default is true.

ALTER TABLE mailboxes ADD COLUMN send_granted boolean NOT NULL DEFAULT true;
