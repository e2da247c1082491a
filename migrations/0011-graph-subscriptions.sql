-- Graph change notifications name a subscription id; the receiver finds the mailbox holding it
-- through its stored push channel. Without this index every notification would scan mailboxes.
CREATE INDEX IF NOT EXISTS mailboxes_graph_subscription ON mailboxes ((push_channel ->> 'id')) WHERE provider = 'graph';
