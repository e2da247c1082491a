// The parsed, frozen configuration that loadConfig returns.
import type { EgressPolicy } from '../net/egress-guard.js';

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
  clamd: { host: string; port: number; timeoutMs: number; signaturesMaxAgeMs: number };
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
  /** TRUSTED_AUTHSERV_IDS, lower-cased (IMAP and local mailboxes). */
  trustedAuthservIds: string[];
  syncPollMinutes: number;
  syncLeaseMs: number;
  /** Delay between disconnect (key destroyed) and the purge of the mailbox's rows. */
  mailboxPurgeDelayMs: number;
  eventsRetentionDays: number;
  auditCredentialsRetentionDays: number;
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
