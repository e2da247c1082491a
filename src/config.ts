// The only reader of process.env. Every variable is declared once in `variables` below — that table
// drives validation, the README configuration table (scripts/write-readme-config.ts) and the Helm
// chart's env. Parsing happens once at boot; a bad value stops the process with one line per variable.
import path from 'node:path';

import { type EgressPolicy, parsePolicy, strictPolicy } from './net/egress-guard.js';

type Kind =
  | { type: 'string'; pattern?: RegExp; shape?: string }
  | { type: 'int'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
  | { type: 'url'; protocols: readonly string[] };

interface Variable {
  name: string;
  kind: Kind;
  default?: string;
  secret?: boolean;
  description: string;
}

const postgresUrl: Kind = { type: 'url', protocols: ['postgres:', 'postgresql:'] };
const httpUrl: Kind = { type: 'url', protocols: ['http:', 'https:'] };

export const variables = [
  {
    name: 'NODE_ENV',
    kind: { type: 'enum', values: ['development', 'production', 'test'] },
    default: 'development',
    description: 'production refuses embedded PostgreSQL and generated keys',
  },
  {
    name: 'HOST',
    kind: { type: 'string' },
    default: '127.0.0.1',
    description: 'address the API listens on (0.0.0.0 in containers)',
  },
  {
    name: 'PORT',
    kind: { type: 'int', min: 1, max: 65535 },
    default: '3000',
    description: 'API port',
  },
  {
    name: 'LOG_LEVEL',
    kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    description: 'pino log level',
  },
  {
    name: 'DATABASE_URL',
    kind: postgresUrl,
    secret: true,
    description:
      'PostgreSQL connection of serve and worker: the application login role (member of inlet_app and inlet_service; production refuses a superuser or the owner); unset outside production = embedded PostgreSQL',
  },
  {
    name: 'DATABASE_OWNER_URL',
    kind: postgresUrl,
    secret: true,
    description:
      'PostgreSQL connection as the schema owner, for `inlet migrate` and the development auto-migrate only (serve and worker use DATABASE_URL, the application login role)',
  },
  {
    name: 'DATABASE_POOL_MAX',
    kind: { type: 'int', min: 1, max: 500 },
    default: '10',
    description: 'connections per process',
  },
  {
    name: 'DATABASE_POOL_MODE',
    kind: { type: 'enum', values: ['session', 'transaction'] },
    default: 'session',
    description:
      'transaction when DATABASE_URL goes through a transaction-mode pooler (PgBouncer before 1.21): neither Inlet nor its job queue then uses named prepared statements; see docs/scaling.md',
  },
  {
    name: 'INLET_DATA_DIR',
    kind: { type: 'string' },
    default: './.inlet',
    description: 'embedded PostgreSQL data and the development key file',
  },
  {
    name: 'INLET_EMBEDDED_PG_PORT',
    kind: { type: 'int', min: 1024, max: 65535 },
    description:
      'port of the embedded PostgreSQL (development); unset = a free port chosen on first start and kept in INLET_DATA_DIR',
  },
  {
    name: 'INLET_MASTER_KEYS',
    kind: {
      type: 'string',
      pattern:
        /^[a-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{43,44}(,[a-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{43,44})*$/,
      shape: 'id:base64(32 bytes)[,id:base64…], last one active',
    },
    secret: true,
    description:
      'key-encryption keyring; unset outside production = generated dev key in INLET_DATA_DIR',
  },
  {
    name: 'KEY_PROVIDER',
    kind: { type: 'enum', values: ['keyring', 'vault'] },
    default: 'keyring',
    description:
      'where key-encryption keys live: keyring = INLET_MASTER_KEYS (the operator adds the next key each epoch and removes retired ones); vault = HashiCorp Vault / OpenBao transit (Inlet rotates and destroys key versions itself)',
  },
  {
    name: 'KEY_EPOCH_DAYS',
    kind: { type: 'int', min: 1, max: 365 },
    default: '7',
    description:
      'a new KEK each epoch; every live data key is re-wrapped under it and the old KEK retires',
  },
  {
    name: 'KEY_RETENTION_DAYS',
    kind: { type: 'int', min: 1, max: 3650 },
    default: '30',
    description:
      'a retired KEK is destroyed this long after it retired; database backups are unreadable at most KEY_EPOCH_DAYS + KEY_RETENTION_DAYS after they were taken. Keep backups for at most this long',
  },
  {
    name: 'VAULT_ADDR',
    kind: httpUrl,
    description: 'Vault / OpenBao address (KEY_PROVIDER=vault)',
  },
  {
    name: 'VAULT_TOKEN',
    kind: { type: 'string' },
    secret: true,
    description:
      'token with update on transit encrypt, decrypt, keys/<key>/rotate, config and trim, and read on keys/<key>',
  },
  {
    name: 'VAULT_NAMESPACE',
    kind: { type: 'string' },
    description: 'Vault Enterprise / OpenBao namespace, if any',
  },
  {
    name: 'VAULT_TRANSIT_MOUNT',
    kind: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,100}$/, shape: 'a mount path' },
    default: 'transit',
    description: 'mount path of the transit engine',
  },
  {
    name: 'VAULT_TRANSIT_KEY',
    kind: { type: 'string', pattern: /^[A-Za-z0-9_-]{1,100}$/, shape: 'a key name' },
    default: 'inlet-kek',
    description:
      'transit key whose versions are the KEK epochs (created as aes256-gcm96 when missing)',
  },
  {
    name: 'SUBJECT_EXPORT_EXPIRY_HOURS',
    kind: { type: 'int', min: 1, max: 168 },
    default: '24',
    description:
      'a data-subject export can be downloaded once within this many hours of completing; then it is deleted',
  },
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
    name: 'INGEST_MAX_MESSAGE_BYTES',
    kind: { type: 'int', min: 1024, max: 200 * 1024 * 1024 },
    default: String(50 * 1024 * 1024),
    description:
      'larger messages are parked with reason message_too_large; one an IMAP server reports as larger is not even downloaded',
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
    name: 'WEBHOOK_DISABLE_AFTER_DAYS',
    kind: { type: 'int', min: 1, max: 30 },
    default: '5',
    description:
      'a webhook endpoint that has not accepted a delivery for this many days while deliveries kept failing is disabled (event webhook_endpoint.disabled with the reason)',
  },
  {
    name: 'TRUST_PROXY_HOPS',
    kind: { type: 'int', min: 0, max: 10 },
    default: '0',
    description:
      'reverse proxies in front of Inlet whose X-Forwarded-For is trusted (client IP in audit records and rate limits); 0 = none',
  },
  {
    name: 'RATE_LIMIT_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 1000000 },
    default: '600',
    description: 'API requests per minute per API key (or IP when unauthenticated)',
  },
  {
    name: 'RATE_LIMIT_AUTH_FAILURES_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 100000 },
    default: '30',
    description:
      'failed authentications (401) per client address per minute; further requests from it answer 429 before any key lookup',
  },
  {
    name: 'RATE_LIMIT_PER_TENANT_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 10000000 },
    default: '3000',
    description: 'API requests per minute per tenant, summed over all its keys',
  },
  {
    name: 'MAX_API_KEYS_PER_TENANT',
    kind: { type: 'int', min: 1, max: 10000 },
    default: '50',
    description: 'active API keys a tenant may hold; creating more answers 409 api_key_limit',
  },
  {
    name: 'HTTP_REQUEST_TIMEOUT_MS',
    kind: { type: 'int', min: 1000, max: 600000 },
    default: '30000',
    description: 'a request, body included, must arrive within this; slower ones are cut off (408)',
  },
  {
    name: 'HTTP_HEADERS_TIMEOUT_MS',
    kind: { type: 'int', min: 1000, max: 600000 },
    default: '10000',
    description: 'request headers must arrive within this',
  },
  {
    name: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    kind: { type: 'int', min: 1000, max: 600000 },
    default: '5000',
    description: 'idle keep-alive connections are closed after this',
  },
  {
    name: 'HTTP_MAX_CONNECTIONS',
    kind: { type: 'int', min: 1, max: 1000000 },
    default: '1000',
    description: 'open connections per process; more are closed on arrival',
  },
  {
    name: 'CONSENT_ALLOW_SHARED_MAILBOXES',
    kind: { type: 'bool' },
    default: 'false',
    description:
      'let a consent flow connect a mailbox address that another tenant already has connected (otherwise address_in_use_elsewhere until that tenant disconnects it)',
  },
  {
    name: 'EGRESS_ALLOW_NETWORKS',
    kind: { type: 'string' },
    description:
      'comma-separated CIDRs, addresses or host names (`*.example.com`) that tenant-given mail servers may reach although they are private, loopback or otherwise special (self-hosted mail servers); unset = public addresses only',
  },
  {
    name: 'EGRESS_ALLOW_PORTS',
    kind: {
      type: 'string',
      pattern: /^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/,
      shape: 'ports or ranges, e.g. 2525,10143-10993',
    },
    description:
      'ports allowed for tenant-given servers besides 25, 143, 465, 587, 993 (mail) and 443 (https)',
  },
  {
    name: 'MAIL_ALLOW_PLAINTEXT',
    kind: { type: 'bool' },
    default: 'false',
    description:
      "production only: honour a mailbox's allow_plaintext (IMAP/SMTP without TLS when the server offers no STARTTLS). Outside production the opt-in alone suffices",
  },
  {
    name: 'GOOGLE_CLIENT_ID',
    kind: { type: 'string', pattern: /^[A-Za-z0-9._-]{1,200}$/, shape: 'an OAuth client id' },
    description:
      'Google OAuth client (web application) for Gmail mailboxes; unset = Gmail connect disabled',
  },
  {
    name: 'GOOGLE_CLIENT_SECRET',
    kind: { type: 'string' },
    secret: true,
    description: 'secret of GOOGLE_CLIENT_ID',
  },
  {
    name: 'GOOGLE_OAUTH_AUTH_URL',
    kind: httpUrl,
    default: 'https://accounts.google.com/o/oauth2/v2/auth',
    description: 'Google consent page (override only for tests)',
  },
  {
    name: 'GOOGLE_OAUTH_TOKEN_URL',
    kind: httpUrl,
    default: 'https://oauth2.googleapis.com/token',
    description: 'Google token endpoint (override only for tests)',
  },
  {
    name: 'GOOGLE_OAUTH_REVOKE_URL',
    kind: httpUrl,
    default: 'https://oauth2.googleapis.com/revoke',
    description: 'Google token revocation endpoint (override only for tests)',
  },
  {
    name: 'GOOGLE_GMAIL_API_URL',
    kind: httpUrl,
    default: 'https://gmail.googleapis.com/',
    description: 'Gmail API root (override only for tests)',
  },
  {
    name: 'GOOGLE_JWKS_URL',
    kind: httpUrl,
    default: 'https://www.googleapis.com/oauth2/v3/certs',
    description: 'keys that sign Pub/Sub push tokens (override only for tests)',
  },
  {
    name: 'GOOGLE_PUBSUB_TOPIC',
    kind: {
      type: 'string',
      pattern: /^projects\/[^/]+\/topics\/[^/]+$/,
      shape: 'projects/<project>/topics/<topic>',
    },
    description:
      'Pub/Sub topic Gmail watches publish to (gmail-api-push@system.gserviceaccount.com needs publish rights); unset = no push, polling only',
  },
  {
    name: 'GOOGLE_PUSH_AUDIENCE',
    kind: { type: 'string' },
    description:
      'aud claim of push tokens, as set on the push subscription; defaults to INLET_PUBLIC_URL/v1/webhooks/google/pubsub',
  },
  {
    name: 'GOOGLE_PUSH_SERVICE_ACCOUNT',
    kind: { type: 'string', pattern: /^[^\s@]+@[^\s@]+$/, shape: 'a service-account email' },
    description:
      'service account the push subscription authenticates as; pushes signed for any other account are refused',
  },
  {
    name: 'GMAIL_POLL_MINUTES',
    kind: { type: 'int', min: 1, max: 60 },
    default: '5',
    description:
      'catch-up sync of every active Gmail mailbox every N minutes, even while push works (pushes can be dropped)',
  },
  {
    name: 'MICROSOFT_CLIENT_ID',
    kind: {
      type: 'string',
      pattern: /^[0-9a-fA-F-]{36}$/,
      shape: 'an Entra ID application (client) id',
    },
    description:
      'Entra ID app registration for Microsoft 365 mailboxes; unset = Microsoft connect disabled',
  },
  {
    name: 'MICROSOFT_CLIENT_SECRET',
    kind: { type: 'string' },
    secret: true,
    description: 'client secret of MICROSOFT_CLIENT_ID',
  },
  {
    name: 'MICROSOFT_AUTHORITY',
    kind: { type: 'url', protocols: ['https:'] },
    default: 'https://login.microsoftonline.com/organizations',
    description:
      'Entra ID authority: organizations (any work or school account), a tenant id or domain for a single-tenant app, or a sovereign cloud host',
  },
  {
    name: 'MICROSOFT_GRAPH_URL',
    kind: { type: 'url', protocols: ['https:'] },
    default: 'https://graph.microsoft.com',
    description:
      'Microsoft Graph root (sovereign clouds: https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn …)',
  },
  {
    name: 'MICROSOFT_SUBSCRIPTION_MINUTES',
    kind: { type: 'int', min: 45, max: 10080 },
    default: '10070',
    description:
      'lifetime asked for each Graph inbox subscription (Outlook allows at most 10,080 minutes); renewed two days before it ends',
  },
  {
    name: 'MICROSOFT_POLL_MINUTES',
    kind: { type: 'int', min: 1, max: 60 },
    default: '5',
    description:
      'catch-up sync of every active Microsoft 365 mailbox every N minutes, even while notifications work (shared mailboxes are only polled)',
  },
  {
    name: 'MICROSOFT_LARGE_REPLIES',
    kind: { type: 'bool' },
    default: 'false',
    description:
      "also ask for Mail.ReadWrite so replies over Graph's 4 MB request limit can be sent through a draft and upload sessions; off = such replies fail with rejected_by_provider",
  },
] as const satisfies readonly Variable[];

export type VariableName = (typeof variables)[number]['name'];

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  production: boolean;
  host: string;
  port: number;
  logLevel: string;
  databaseUrl: string | null;
  /** DATABASE_OWNER_URL: only `inlet migrate` uses it. */
  databaseOwnerUrl: string | null;
  databasePoolMax: number;
  databasePoolMode: 'session' | 'transaction';
  dataDir: string;
  /** Embedded PostgreSQL port when set; otherwise the one saved on first start. */
  embeddedPgPort: number | null;
  /** Metrics/health listener port; 0 = off. */
  metricsPort: number;
  masterKeys: string | null;
  keys: KeyConfig;
  subjectExportExpiryMs: number;
  operatorKey: string | null;
  publicUrl: string;
  shutdownTimeoutMs: number;
  workerConcurrency: number;
  clamd: { host: string; port: number; timeoutMs: number };
  ingest: {
    maxMessageBytes: number;
    maxParts: number;
    maxDepth: number;
    maxAttempts: number;
    isolateAboveBytes: number;
    prepareBudgetMs: number;
  };
  rateLimitPerMinute: number;
  authFailuresPerMinute: number;
  tenantRateLimitPerMinute: number;
  maxApiKeysPerTenant: number;
  consentAllowSharedMailboxes: boolean;
  http: {
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  };
  /** Where tenant-given servers may be reached beyond public addresses and the usual ports. */
  egress: EgressPolicy;
  trustProxyHops: number;
  syncPollMinutes: number;
  syncLeaseMs: number;
  /** Delay between disconnect (key destroyed) and the purge of the mailbox's rows. */
  mailboxPurgeDelayMs: number;
  eventsRetentionDays: number;
  webhooks: { disableAfterMs: number };
  /** WORKER_STALL_ALERT_SECONDS in ms. */
  workerStallAlertMs: number;
  google: GoogleConfig;
  microsoft: MicrosoftConfig;
}

export interface MicrosoftConfig {
  /** null when MICROSOFT_CLIENT_ID / MICROSOFT_CLIENT_SECRET are not both set: Microsoft connect is disabled. */
  client: { id: string; secret: string } | null;
  authority: string;
  graphUrl: string;
  subscriptionMinutes: number;
  pollMinutes: number;
  largeReplies: boolean;
}

export interface KeyConfig {
  provider: 'keyring' | 'vault';
  epochMs: number;
  retentionMs: number;
  vault: {
    addr: string;
    token: string;
    namespace: string | null;
    mount: string;
    key: string;
  } | null;
}

export interface GoogleConfig {
  /** null when GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET are not both set: Gmail connect is disabled. */
  client: { id: string; secret: string } | null;
  authUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  gmailApiUrl: string;
  jwksUrl: string;
  topicName: string | null;
  pushAudience: string;
  pushServiceAccount: string | null;
  pollMinutes: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

function describe(kind: Kind): string {
  switch (kind.type) {
    case 'int':
      return `an integer from ${kind.min} to ${kind.max}`;
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'url':
      return `a URL (${kind.protocols.map((p) => p.replace(':', '')).join(' or ')})`;
    case 'string':
      return kind.shape ?? 'a non-empty string';
  }
}

function valid(kind: Kind, raw: string): boolean {
  switch (kind.type) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) return false;
      const n = Number(raw);
      return n >= kind.min && n <= kind.max;
    }
    case 'enum':
      return kind.values.includes(raw);
    case 'bool':
      return raw === 'true' || raw === 'false';
    case 'url': {
      try {
        return kind.protocols.includes(new URL(raw).protocol);
      } catch {
        return false;
      }
    }
    case 'string':
      return raw.length > 0 && (!kind.pattern || kind.pattern.test(raw));
  }
}

/** Validates every variable, collecting all problems before failing. Secrets are never echoed. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const values = new Map<string, string | undefined>();
  for (const v of variables as readonly Variable[]) {
    const raw = env[v.name];
    if (raw === undefined || raw === '') {
      values.set(v.name, v.default);
      continue;
    }
    if (!valid(v.kind, raw)) problems.push(`${v.name}: expected ${describe(v.kind)}`);
    values.set(v.name, raw);
  }
  const get = (name: VariableName) => values.get(name);
  const int = (name: VariableName) => Number(get(name));
  const production = get('NODE_ENV') === 'production';
  if (production && !get('DATABASE_URL'))
    problems.push(
      'DATABASE_URL: required when NODE_ENV=production (no embedded database in production)',
    );
  if (get('KEY_PROVIDER') === 'vault' && (!get('VAULT_ADDR') || !get('VAULT_TOKEN')))
    problems.push('VAULT_ADDR: VAULT_ADDR and VAULT_TOKEN are required with KEY_PROVIDER=vault');
  if (production && get('KEY_PROVIDER') !== 'vault' && !get('INLET_MASTER_KEYS'))
    problems.push(
      'INLET_MASTER_KEYS: required when NODE_ENV=production (no generated keys in production)',
    );
  if (Boolean(get('GOOGLE_CLIENT_ID')) !== Boolean(get('GOOGLE_CLIENT_SECRET')))
    problems.push('GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET go together');
  if (Boolean(get('MICROSOFT_CLIENT_ID')) !== Boolean(get('MICROSOFT_CLIENT_SECRET')))
    problems.push(
      'MICROSOFT_CLIENT_SECRET: MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET go together',
    );
  if (get('GOOGLE_PUBSUB_TOPIC') && !get('GOOGLE_PUSH_SERVICE_ACCOUNT'))
    problems.push(
      'GOOGLE_PUSH_SERVICE_ACCOUNT: required with GOOGLE_PUBSUB_TOPIC (pushes are accepted only from that account)',
    );
  let egress: EgressPolicy = strictPolicy;
  try {
    egress = {
      ...parsePolicy(get('EGRESS_ALLOW_NETWORKS'), get('EGRESS_ALLOW_PORTS')),
      allowPlaintext: !production || get('MAIL_ALLOW_PLAINTEXT') === 'true',
    };
  } catch (err) {
    problems.push(`EGRESS_ALLOW_NETWORKS/EGRESS_ALLOW_PORTS: ${(err as Error).message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const host = get('HOST')!;
  return Object.freeze({
    nodeEnv: get('NODE_ENV') as Config['nodeEnv'],
    production,
    host,
    port: int('PORT'),
    logLevel: get('LOG_LEVEL')!,
    databaseUrl: get('DATABASE_URL') ?? null,
    databaseOwnerUrl: get('DATABASE_OWNER_URL') ?? null,
    databasePoolMax: int('DATABASE_POOL_MAX'),
    databasePoolMode: get('DATABASE_POOL_MODE') as 'session' | 'transaction',
    dataDir: path.resolve(get('INLET_DATA_DIR')!),
    embeddedPgPort: get('INLET_EMBEDDED_PG_PORT') ? int('INLET_EMBEDDED_PG_PORT') : null,
    metricsPort: int('METRICS_PORT'),
    masterKeys: get('INLET_MASTER_KEYS') ?? null,
    keys: {
      provider: get('KEY_PROVIDER') as KeyConfig['provider'],
      epochMs: int('KEY_EPOCH_DAYS') * 86_400_000,
      retentionMs: int('KEY_RETENTION_DAYS') * 86_400_000,
      vault:
        get('KEY_PROVIDER') === 'vault'
          ? {
              addr: get('VAULT_ADDR')!,
              token: get('VAULT_TOKEN')!,
              namespace: get('VAULT_NAMESPACE') ?? null,
              mount: get('VAULT_TRANSIT_MOUNT')!,
              key: get('VAULT_TRANSIT_KEY')!,
            }
          : null,
    },
    subjectExportExpiryMs: int('SUBJECT_EXPORT_EXPIRY_HOURS') * 3_600_000,
    operatorKey: get('INLET_OPERATOR_KEY') ?? null,
    publicUrl: (
      get('INLET_PUBLIC_URL') ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${int('PORT')}`
    ).replace(/\/$/, ''),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS'),
    workerConcurrency: int('WORKER_CONCURRENCY'),
    clamd: {
      host: get('CLAMD_HOST')!,
      port: int('CLAMD_PORT'),
      timeoutMs: int('CLAMD_TIMEOUT_MS'),
    },
    ingest: {
      maxMessageBytes: int('INGEST_MAX_MESSAGE_BYTES'),
      maxParts: int('INGEST_MAX_PARTS'),
      maxDepth: int('INGEST_MAX_DEPTH'),
      maxAttempts: int('INGEST_MAX_ATTEMPTS'),
      isolateAboveBytes: int('INGEST_ISOLATE_ABOVE_BYTES'),
      prepareBudgetMs: int('INGEST_PREPARE_BUDGET_MS'),
    },
    rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE'),
    authFailuresPerMinute: int('RATE_LIMIT_AUTH_FAILURES_PER_MINUTE'),
    tenantRateLimitPerMinute: int('RATE_LIMIT_PER_TENANT_PER_MINUTE'),
    maxApiKeysPerTenant: int('MAX_API_KEYS_PER_TENANT'),
    consentAllowSharedMailboxes: get('CONSENT_ALLOW_SHARED_MAILBOXES') === 'true',
    http: {
      requestTimeoutMs: int('HTTP_REQUEST_TIMEOUT_MS'),
      headersTimeoutMs: int('HTTP_HEADERS_TIMEOUT_MS'),
      keepAliveTimeoutMs: int('HTTP_KEEP_ALIVE_TIMEOUT_MS'),
      maxConnections: int('HTTP_MAX_CONNECTIONS'),
    },
    egress,
    trustProxyHops: int('TRUST_PROXY_HOPS'),
    syncPollMinutes: int('SYNC_POLL_MINUTES'),
    syncLeaseMs: int('SYNC_LEASE_SECONDS') * 1000,
    mailboxPurgeDelayMs: int('MAILBOX_PURGE_DELAY_HOURS') * 3_600_000,
    eventsRetentionDays: int('EVENTS_RETENTION_DAYS'),
    webhooks: { disableAfterMs: int('WEBHOOK_DISABLE_AFTER_DAYS') * 86_400_000 },
    workerStallAlertMs: int('WORKER_STALL_ALERT_SECONDS') * 1000,
    microsoft: microsoftConfig(get),
    google: googleConfig(
      get,
      (
        get('INLET_PUBLIC_URL') ??
        `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${int('PORT')}`
      ).replace(/\/$/, ''),
    ),
  });
}

function microsoftConfig(get: (name: VariableName) => string | undefined): MicrosoftConfig {
  const id = get('MICROSOFT_CLIENT_ID');
  const secret = get('MICROSOFT_CLIENT_SECRET');
  return {
    client: id && secret ? { id, secret } : null,
    authority: get('MICROSOFT_AUTHORITY')!.replace(/\/$/, ''),
    graphUrl: get('MICROSOFT_GRAPH_URL')!.replace(/\/$/, ''),
    subscriptionMinutes: Number(get('MICROSOFT_SUBSCRIPTION_MINUTES')),
    pollMinutes: Number(get('MICROSOFT_POLL_MINUTES')),
    largeReplies: get('MICROSOFT_LARGE_REPLIES') === 'true',
  };
}

function googleConfig(
  get: (name: VariableName) => string | undefined,
  publicUrl: string,
): GoogleConfig {
  const id = get('GOOGLE_CLIENT_ID');
  const secret = get('GOOGLE_CLIENT_SECRET');
  return {
    client: id && secret ? { id, secret } : null,
    authUrl: get('GOOGLE_OAUTH_AUTH_URL')!,
    tokenUrl: get('GOOGLE_OAUTH_TOKEN_URL')!,
    revokeUrl: get('GOOGLE_OAUTH_REVOKE_URL')!,
    gmailApiUrl: get('GOOGLE_GMAIL_API_URL')!.replace(/\/?$/, '/'),
    jwksUrl: get('GOOGLE_JWKS_URL')!,
    topicName: get('GOOGLE_PUBSUB_TOPIC') ?? null,
    pushAudience: get('GOOGLE_PUSH_AUDIENCE') ?? `${publicUrl}/v1/webhooks/google/pubsub`,
    pushServiceAccount: get('GOOGLE_PUSH_SERVICE_ACCOUNT') ?? null,
    pollMinutes: Number(get('GMAIL_POLL_MINUTES')),
  };
}

/** Markdown table for the README, generated from `variables` so the two cannot drift. */
export function configTableMarkdown(): string {
  const rows = (variables as readonly Variable[]).map(
    (v) =>
      `| \`${v.name}\` | ${v.default !== undefined ? `\`${v.default}\`` : '—'} | ${describe(v.kind)}${v.secret ? ' (secret)' : ''} | ${v.description} |`,
  );
  return ['| variable | default | expected | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
