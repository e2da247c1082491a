-- Why: a mailbox's sync and send jobs should run in the worker process that holds its IMAP IDLE
-- lease, because only there can they borrow the logged-in IDLE session instead of a fresh login per
-- new mail. graphile-worker routes by job flags: a job enqueued through inlet_add_mailbox_job carries
-- the flag 'lease:<holder>' of the mailbox's live lease, and every other live worker forbids that
-- flag (src/sync/lease-routing.ts). A job of a mailbox nobody holds carries no flag and runs anywhere.
-- When the holder dies or stops, its flag is stripped from the jobs it had not started, so nothing
-- waits for a worker that is gone.

CREATE FUNCTION inlet_add_mailbox_job(identifier text, payload json, queue_name text, run_at timestamptz,
                                      max_attempts integer, job_key text, priority integer, job_key_mode text,
                                      mailbox_id uuid) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
DECLARE
  lease_holder text;
BEGIN
  IF inlet_tenant_id() IS NOT NULL AND (payload ->> 'tenantId') IS DISTINCT FROM inlet_tenant_id()::text THEN
    RAISE EXCEPTION 'job payload names another tenant' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT l.holder INTO lease_holder FROM mailbox_leases l
   WHERE l.tenant_id = (payload ->> 'tenantId')::uuid AND l.mailbox_id = inlet_add_mailbox_job.mailbox_id
     AND l.expires_at > now();
  PERFORM graphile_worker.add_job(identifier, payload, queue_name => queue_name, run_at => run_at, max_attempts => max_attempts,
                                  job_key => job_key, priority => priority, job_key_mode => job_key_mode,
                                  flags => CASE WHEN lease_holder IS NULL THEN NULL ELSE ARRAY['lease:' || lease_holder] END);
END
$$;
REVOKE ALL ON FUNCTION inlet_add_mailbox_job(text, json, text, timestamptz, integer, text, integer, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inlet_add_mailbox_job(text, json, text, timestamptz, integer, text, integer, text, uuid) TO inlet_app, inlet_service;

