-- Why: every decrypt of a mailbox's credentials writes a 'credentials.open' audit record (security.md
-- control 5), about 480 a day per mailbox, 422 bytes each (docs/scaling.md), and audit_log is
-- append-only: nothing ever removed them. These machine records now expire after
-- AUDIT_CREDENTIALS_RETENTION_DAYS; every other action (content reads, receipts, retention runs,
-- configuration changes...) stays append-only forever.
--
-- The service role still holds no DELETE on audit_log (0020). It may only call this function, which
-- runs as the owner and deletes nothing but 'credentials.open' records older than the window, and
-- never younger than 90 days whatever the caller asks: an injected call can shorten the
-- investigation window of these records to 90 days, no further, and touches no other record.
-- One bounded batch per call (each call its own short transaction), oldest first; the caller loops.

-- The oldest 'credentials.open' records, without reading the rest of the log each night. About 23
-- bytes per such record, only while it is kept. A non-concurrent index build blocks audit writes
-- (and so credential opens) while it reads the table: on a large log, run
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_credentials_open_at ON audit_log (at) WHERE action = 'credentials.open';
-- as the owner before upgrading, and this statement finds it built (or, when that build failed and
-- left it invalid, drops and builds it again).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_index
              WHERE indexrelid = to_regclass('public.audit_log_credentials_open_at') AND NOT indisvalid) THEN
    DROP INDEX audit_log_credentials_open_at;
  END IF;
END
$$;
CREATE INDEX IF NOT EXISTS audit_log_credentials_open_at ON audit_log (at) WHERE action = 'credentials.open';

CREATE FUNCTION inlet_expire_credential_opens(keep_days integer, batch integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
DECLARE
  n integer;
BEGIN
  IF keep_days IS NULL OR keep_days < 90 THEN
    RAISE EXCEPTION 'credentials.open records are kept at least 90 days' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF batch IS NULL OR batch < 1 OR batch > 10000 THEN
    RAISE EXCEPTION 'batch must be between 1 and 10000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM audit_log
   WHERE (tenant_id, id) IN (
           SELECT o.tenant_id, o.id FROM audit_log o
            WHERE o.action = 'credentials.open' AND o.at < now() - make_interval(days => keep_days)
            ORDER BY o.at
            LIMIT batch);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
REVOKE ALL ON FUNCTION inlet_expire_credential_opens(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inlet_expire_credential_opens(integer, integer) TO inlet_service;
