-- Why: attachments.sha256 was a plain SHA-256 of each file, in clear until the purge and in every
-- backup after it: anyone holding a dump could confirm that a known file was received, even once
-- the mailbox key is destroyed. It is replaced by content_digest, an HMAC under the tenant's index
-- key (like the blind indexes), written at ingest. Rows stored before this get NULL: their content
-- is sealed and SQL cannot read it, and nothing depends on the digest of an already stored file
-- (scan verdicts are cached in memory by the worker, not read back from this column).

ALTER TABLE attachments ADD COLUMN content_digest bytea;
ALTER TABLE attachments DROP COLUMN sha256;
