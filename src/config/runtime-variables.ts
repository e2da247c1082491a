// Operator access, listeners, workers, scanning, ingest limits, sync and retention.
import { httpUrl, type Variable } from './kinds.js';

export const runtimeVariables = [
  {
    name: 'INLET_OPERATOR_KEY',
    kind: { type: 'string', pattern: /^.{32,}$/, shape: 'at least 32 characters' },
    secret: true,
    description: 'bearer key for operator routes (POST /v1/tenants); unset = operator API disabled',
  },
  {
    name: 'INLET_PUBLIC_URL',
    kind: httpUrl,
    description: 'external base URL (OAuth redirects, links); defaults to http://HOST:PORT',
  },
  {
    name: 'METRICS_PORT',
    kind: { type: 'int', min: 0, max: 65535 },
    default: '0',
    description:
      "separate listener for /metrics (Prometheus, no credential), /healthz and /readyz, in serve and worker; keep it off the ingress. 0 = off (the API's /metrics with the operator key still answers)",
  },
  {
    name: 'SHUTDOWN_TIMEOUT_MS',
    kind: { type: 'int', min: 100, max: 120000 },
    default: '8000',
    description: 'grace period for in-flight requests and jobs on SIGTERM',
  },
  {
    name: 'WORKER_CONCURRENCY',
    kind: { type: 'int', min: 1, max: 100 },
    default: '4',
    description: 'jobs run at once per worker process',
  },
  {
    name: 'CLAMD_HOST',
    kind: { type: 'string' },
    default: '127.0.0.1',
    description: 'clamd host for attachment scanning',
  },
  {
    name: 'CLAMD_PORT',
    kind: { type: 'int', min: 1, max: 65535 },
    default: '3310',
    description: 'clamd TCP port',
  },
  {
    name: 'CLAMD_TIMEOUT_MS',
    kind: { type: 'int', min: 100, max: 600000 },
    default: '30000',
    description: 'per-scan timeout; a timeout leaves the attachment pending',
  },
  {
    name: 'CLAMD_SIGNATURES_MAX_AGE_HOURS',
    kind: { type: 'int', min: 1, max: 720 },
    default: '24',
    description:
      "clamd's daily signature database older than this (by its VERSION answer) makes /readyz report status degraded with checks.scanner stale_signatures (still 200: scanning goes on with the old signatures); a database without a date (custom signatures only) is reported as age_unknown and does not degrade",
  },
  {
    name: 'INGEST_MAX_MESSAGE_BYTES',
    kind: { type: 'int', min: 1024, max: 200 * 1024 * 1024 },
    default: String(50 * 1024 * 1024),
    description:
      'larger messages are parked with reason message_too_large and leave a stub of their headers on the ticket; one an IMAP server reports as larger is not even downloaded, and one whose IMAP FETCH literal runs more than an eighth (at least 1 MiB) above it, or whose Gmail or Microsoft 365 download runs 64 KiB past it, is not buffered either: the download stops, only its headers are fetched, and it is parked the same way',
  },
  {
    name: 'INGEST_MAX_PARTS',
    kind: { type: 'int', min: 1, max: 100000 },
    default: '500',
    description: 'MIME parts per message',
  },
  {
    name: 'INGEST_MAX_DEPTH',
    kind: { type: 'int', min: 1, max: 1000 },
    default: '30',
    description: 'MIME nesting depth',
  },
  {
    name: 'INGEST_ISOLATE_ABOVE_BYTES',
    kind: { type: 'int', min: 0, max: 200 * 1024 * 1024 },
    default: '0',
    description:
      "messages at least this large are parsed and sanitised on a worker thread that is stopped when it overruns INGEST_PREPARE_BUDGET_MS; 0 = off. Costs a second copy of each such message and the thread's own memory (see README)",
  },
  {
    name: 'INGEST_PREPARE_BUDGET_MS',
    kind: { type: 'int', min: 100, max: 600000 },
    default: '10000',
    description:
      'wall-clock budget to parse and sanitise one isolated message; over it the attempt fails (prepare_timeout) and the message is parked after INGEST_MAX_ATTEMPTS',
  },
  {
    name: 'INGEST_MAX_ATTEMPTS',
    kind: { type: 'int', min: 1, max: 100 },
    default: '5',
    description: 'failures before a message is parked',
  },
  {
    name: 'TRUSTED_AUTHSERV_IDS',
    kind: {
      type: 'string',
      pattern: /^[A-Za-z0-9.-]{1,253}(,[A-Za-z0-9.-]{1,253})*$/,
      shape: 'comma-separated host names, e.g. mx.example.com,mx2.example.com',
    },
    description:
      "authserv-ids of the servers that receive IMAP mailboxes' mail (and imported mail): only the topmost Authentication-Results under one of them says whether a sender passed SPF/DKIM/DMARC, and a DMARC failure keeps the message off existing tickets. Such a server must stamp all arriving mail and should remove fields bearing its id (RFC 8601 §5). Gmail (mx.google.com) and Microsoft 365 are known; unset = IMAP and imported mail stay unverified",
  },
  {
    name: 'SYNC_POLL_MINUTES',
    kind: { type: 'int', min: 1, max: 60 },
    default: '3',
    description:
      'fallback poll: every N minutes each active IMAP mailbox gets a sync, in case IDLE missed mail',
  },
  {
    name: 'SYNC_LEASE_SECONDS',
    kind: { type: 'int', min: 3, max: 600 },
    default: '30',
    description:
      "IMAP IDLE leases (and worker heartbeats) expire after this long without renewal; a dead worker's mailboxes and locked jobs are taken over then. Renewed every third of it",
  },
  {
    name: 'WORKER_STALL_ALERT_SECONDS',
    kind: { type: 'int', min: 1, max: 3600 },
    default: '60',
    description:
      'a worker that has not been able to fetch a job for this long logs an ERROR line (repeated each period) and shows it in inlet_worker_job_runner_stalled_seconds; /readyz of a process running the worker is false as soon as fetching fails',
  },
  {
    name: 'MAILBOX_PURGE_DELAY_HOURS',
    kind: { type: 'int', min: 0, max: 720 },
    default: '24',
    description:
      "a disconnected mailbox's rows (already unreadable: its key is destroyed at once) are deleted this many hours after the disconnect; at most 720 (30 days)",
  },
  {
    name: 'EVENTS_RETENTION_DAYS',
    kind: { type: 'int', min: 4, max: 3650 },
    default: '30',
    description:
      'events (GET /v1/events, webhook deliveries and their attempts) are deleted this many days after they happened; at least 4, longer than the 3-day webhook retry window',
  },
  {
    name: 'AUDIT_CREDENTIALS_RETENTION_DAYS',
    kind: { type: 'int', min: 90, max: 3650 },
    default: '400',
    description:
      "'credentials.open' audit records (one per decrypt of a mailbox's credentials, about 480 a day per mailbox) are deleted this many days after they were written, by a nightly job; every other audit record is kept for ever. At least 90 (the database refuses less); the default keeps a year of history for an investigation with a month to spare",
  },
  {
    name: 'WEBHOOK_DISABLE_AFTER_DAYS',
    kind: { type: 'int', min: 1, max: 30 },
    default: '5',
    description:
      'a webhook endpoint that has not accepted a delivery for this many days while deliveries kept failing is disabled (event webhook_endpoint.disabled with the reason)',
  },
] as const satisfies readonly Variable[];
