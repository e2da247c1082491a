-- Why: a Gmail mailbox under steady mail is pushed every few seconds, and while its sync job waits
-- for a worker each push called graphile_worker.add_job again. That rewrote the waiting job row
-- (a new row version and index entries, the old one dead until vacuum), touched the task and queue
-- tables and woke every worker with a NOTIFY, only to leave the job as it was: 'preserve_run_at'
-- keeps its place and the payload, queue, attempts and routing are the same. Dead job rows are what
-- graphile-worker's job fetch then wades through (issue #19: 3,307 after three bench runs).
-- Now a trigger that finds its mailbox's job waiting, never tried and identical in every field
-- add_job would write, changes nothing. A job that is running, or waiting to retry after a failure
-- (attempts > 0: add_job resets its attempts), or routed to another lease holder, still goes
-- through add_job as before. Mail that arrived before the check is seen by the waiting job, which
-- lists from the stored cursor when it starts, after this statement.

CREATE OR REPLACE FUNCTION inlet_add_mailbox_job(identifier text, payload json, queue_name text, run_at timestamptz,
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
  IF inlet_add_mailbox_job.job_key IS NOT NULL AND job_key_mode = 'preserve_run_at' AND EXISTS (
       SELECT 1 FROM graphile_worker._private_jobs j
         JOIN graphile_worker._private_tasks t ON t.id = j.task_id
         LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id
        WHERE j.key = inlet_add_mailbox_job.job_key AND j.locked_at IS NULL AND j.attempts = 0
          AND t.identifier = inlet_add_mailbox_job.identifier
          AND q.queue_name IS NOT DISTINCT FROM inlet_add_mailbox_job.queue_name
          AND j.payload::jsonb = inlet_add_mailbox_job.payload::jsonb
          AND j.max_attempts = coalesce(inlet_add_mailbox_job.max_attempts, 25)
          AND j.priority = coalesce(inlet_add_mailbox_job.priority, 0)
          AND j.flags IS NOT DISTINCT FROM
              CASE WHEN lease_holder IS NULL THEN NULL ELSE jsonb_build_object('lease:' || lease_holder, true) END) THEN
    RETURN;
  END IF;
  PERFORM graphile_worker.add_job(identifier, payload, queue_name => queue_name, run_at => run_at, max_attempts => max_attempts,
                                  job_key => job_key, priority => priority, job_key_mode => job_key_mode,
                                  flags => CASE WHEN lease_holder IS NULL THEN NULL ELSE ARRAY['lease:' || lease_holder] END);
END
$$;
