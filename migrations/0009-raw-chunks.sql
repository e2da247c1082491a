-- Why: a message's original MIME used to be one sealed value in messages.raw_ct, so storing or
-- serving a 25 MB message held the whole ciphertext, and the driver's copy of it, in memory at once.
-- New messages keep their original as a sequence of separately sealed chunks (about 1 MiB of
-- plaintext each) in message_raw_chunks; the message row records the layout (total plaintext bytes,
-- number of chunks), and every chunk's AES-GCM additional data binds the message, its index, the
-- count and the total, so a missing, extra, reordered or swapped chunk is detected on read.
-- raw_ct stays for rows written before this migration (ciphertext bound to its AAD cannot be
-- re-chunked in SQL); a row has either raw_ct, or raw_size and raw_chunks, or neither.
ALTER TABLE messages ADD COLUMN raw_size bigint, ADD COLUMN raw_chunks integer;
ALTER TABLE messages ADD CONSTRAINT messages_raw_layout CHECK (
  (raw_size IS NULL) = (raw_chunks IS NULL)
  AND (raw_chunks IS NULL OR (raw_ct IS NULL AND raw_chunks >= 1 AND raw_size >= 0))
) NOT VALID; -- existing rows satisfy it (both new columns are NULL); NOT VALID spares a scan of every message

CREATE TABLE message_raw_chunks (
  tenant_id uuid NOT NULL,
  message_id uuid NOT NULL,
  seq integer NOT NULL CHECK (seq >= 0),
  chunk_ct bytea NOT NULL,
  PRIMARY KEY (tenant_id, message_id, seq),
  -- Purging a message (mailbox purge, retention, tenant deletion all delete messages) removes its original.
  FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE
);
-- Ciphertext does not compress (see 0008).
ALTER TABLE message_raw_chunks ALTER COLUMN chunk_ct SET STORAGE EXTERNAL;

-- Written once, never updated.
GRANT SELECT, INSERT, DELETE ON message_raw_chunks TO inlet_app;

ALTER TABLE message_raw_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_raw_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_raw_chunks TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id());
DO $$ BEGIN EXECUTE format('CREATE POLICY service_owner ON message_raw_chunks TO %I USING (true) WITH CHECK (true)', current_user); END $$;
