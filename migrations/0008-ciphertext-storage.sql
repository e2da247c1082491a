-- Why: every *_ct column holds AES-GCM ciphertext, which does not compress. PostgreSQL's default
-- (EXTENDED) storage still tries pglz on each value over ~2 kB before moving it out of line, so
-- every large ciphertext cost a failed compression attempt. EXTERNAL keeps them out of line
-- without that attempt (and makes substring reads of large values cheap).
ALTER TABLE messages ALTER COLUMN headers_ct SET STORAGE EXTERNAL;
ALTER TABLE messages ALTER COLUMN text_ct SET STORAGE EXTERNAL;
ALTER TABLE messages ALTER COLUMN html_ct SET STORAGE EXTERNAL;
ALTER TABLE messages ALTER COLUMN reply_ct SET STORAGE EXTERNAL;
ALTER TABLE messages ALTER COLUMN raw_ct SET STORAGE EXTERNAL;
ALTER TABLE attachments ALTER COLUMN content_ct SET STORAGE EXTERNAL;
ALTER TABLE ingest_failures ALTER COLUMN raw_ct SET STORAGE EXTERNAL;
