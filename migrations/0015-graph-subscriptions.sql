-- Graph change notifications name a subscription id; the receiver finds the mailbox holding it
-- through its stored push channel. Without this index every notification would scan mailboxes.
CREATE INDEX IF NOT EXISTS mailboxes_graph_subscription ON mailboxes ((push_channel ->> 'id')) WHERE provider = 'graph';

-- Microsoft 365 delegated consent cannot be revoked by the app for one mailbox: a disconnect clears
-- every token Inlet holds and the receipt says `not_revocable` rather than `revoked`.
ALTER TABLE deletion_receipts DROP CONSTRAINT IF EXISTS deletion_receipts_grant_revoke_check;
ALTER TABLE deletion_receipts ADD CONSTRAINT deletion_receipts_grant_revoke_check
  CHECK (grant_revoke IN ('pending', 'revoked', 'not_revocable', 'failed', 'not_applicable'));
