-- Why: mailbox sync needs (1) state users can see on GET /v1/mailboxes/{id} — backfill progress,
-- when the last sync finished, how far behind new mail is, and the class of the last failure
-- (never its text, which can quote server responses) — (2) leases so that exactly one worker
-- replica holds a mailbox's long-lived IMAP IDLE connection, and another takes over once a dead
-- worker's lease expires, and (3) worker heartbeats (at the end).
--
-- Leases carry tenant_id (so they cascade with the mailbox and fit the composite keys) and get
-- the same FORCEd RLS as every tenant table. Only the worker's supervisor touches them, as the
-- owner role (service_owner policy); inlet_app gets no grant because no request reads them.

ALTER TABLE mailboxes
  ADD COLUMN last_sync_at timestamptz,
  ADD COLUMN last_error_class text CHECK (last_error_class IN ('auth_revoked', 'rate_limited', 'transient', 'cursor_expired', 'permanent')),
  ADD COLUMN last_error_at timestamptz,
  ADD COLUMN progress_done integer,
  ADD COLUMN progress_total integer,
  -- Arrival at the mail server (IMAP INTERNALDATE) to commit in Inlet, for the newest message of
  -- the last incremental sync that stored mail.
  ADD COLUMN lag_ms bigint,
  -- Initial-backfill bounds chosen at connect (also used when a UIDVALIDITY change forces a resync).
  ADD COLUMN backfill_days integer CHECK (backfill_days >= 0),
  ADD COLUMN backfill_max_messages integer CHECK (backfill_max_messages >= 0);

CREATE TABLE mailbox_leases (
  tenant_id uuid NOT NULL,
  mailbox_id uuid NOT NULL,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, mailbox_id),
  UNIQUE (mailbox_id),
  FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX mailbox_leases_holder ON mailbox_leases (holder);

ALTER TABLE mailbox_leases ENABLE ROW LEVEL SECURITY;
ALTER TABLE mailbox_leases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mailbox_leases TO inlet_app USING (tenant_id = inlet_tenant_id()) WITH CHECK (tenant_id = inlet_tenant_id());
DO $$ BEGIN EXECUTE format('CREATE POLICY service_owner ON mailbox_leases TO %I USING (true) WITH CHECK (true)', current_user); END $$;

-- The supervisor lists active IMAP mailboxes across tenants on every tick.
CREATE INDEX mailboxes_active_provider ON mailboxes (provider) WHERE status = 'active';

-- Liveness of graphile-worker workers, so the jobs and per-mailbox queues a killed worker had
-- locked are released after one lease period instead of graphile-worker's 4-hour expiry (a SIGKILLed
-- worker would otherwise block its mailboxes' queues). Worker ids only, no tenant data: owner-only,
-- RLS forced with no policy for inlet_app.
CREATE TABLE worker_heartbeats (
  worker_id text PRIMARY KEY,
  holder text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE worker_heartbeats ENABLE ROW LEVEL SECURITY;
ALTER TABLE worker_heartbeats FORCE ROW LEVEL SECURITY;
DO $$ BEGIN EXECUTE format('CREATE POLICY service_owner ON worker_heartbeats TO %I USING (true) WITH CHECK (true)', current_user); END $$;

-- Jobs are enqueued in the transaction that caused them, and most of those transactions run as
-- inlet_app, which has no rights on graphile-worker's schema (created after these migrations, by
-- graphile-worker itself). This owner-run wrapper is the one door: it also refuses a payload naming
-- another tenant than the transaction's, so a tenant-scoped transaction cannot queue work for
-- another tenant. plpgsql, so the body is resolved at call time, once graphile_worker exists.
CREATE FUNCTION inlet_add_job(identifier text, payload json, queue_name text, run_at timestamptz, max_attempts integer,
                              job_key text, priority integer, job_key_mode text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
BEGIN
  IF inlet_tenant_id() IS NOT NULL AND (payload ->> 'tenantId') IS DISTINCT FROM inlet_tenant_id()::text THEN
    RAISE EXCEPTION 'job payload names another tenant' USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM graphile_worker.add_job(identifier, payload, queue_name => queue_name, run_at => run_at, max_attempts => max_attempts,
                                  job_key => job_key, priority => priority, job_key_mode => job_key_mode);
END
$$;
REVOKE ALL ON FUNCTION inlet_add_job(text, json, text, timestamptz, integer, text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inlet_add_job(text, json, text, timestamptz, integer, text, integer, text) TO inlet_app;
