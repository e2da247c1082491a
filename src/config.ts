// The only reader of process.env. Every variable is declared once, in the groups under src/config/ that `variables` joins — that table
// drives validation, the README configuration table (scripts/write-readme-config.ts) and the Helm
// chart's env. Parsing happens once at boot; a bad value stops the process with one line per variable.
import path from 'node:path';

import { coreVariables } from './config/core-variables.js';
import { describe, valid, type Variable } from './config/kinds.js';
import { networkVariables } from './config/network-variables.js';
import { googleConfig, microsoftConfig } from './config/provider-config.js';
import { providerVariables } from './config/provider-variables.js';
import { runtimeVariables } from './config/runtime-variables.js';
import { envFilesOf, literalSecretsInEnvFiles, withSecretFiles } from './config/secret-sources.js';
import type { Config, KeyConfig } from './config/types.js';
import { type EgressPolicy, parsePolicy, strictPolicy } from './net/egress-guard.js';

export type { Config, GoogleConfig, KeyConfig, MicrosoftConfig } from './config/types.js';

export const variables = [
  ...coreVariables,
  ...runtimeVariables,
  ...networkVariables,
  ...providerVariables,
] as const satisfies readonly Variable[];

export type VariableName = (typeof variables)[number]['name'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Validates every variable, collecting all problems before failing. Secrets are never echoed.
 *  A secret NAME may come from the file NAME_FILE names; `envFiles` are the env files Node loaded
 *  (`node --env-file=…`), where production refuses literal secrets (config/secret-sources.ts). */
export function loadConfig(
  given: Record<string, string | undefined> = process.env,
  envFiles: readonly string[] = envFilesOf(process.execArgv),
): Config {
  const secrets = (variables as readonly Variable[]).filter((v) => v.secret);
  const { env, problems } = withSecretFiles(given, secrets);
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
  if (production) problems.push(...literalSecretsInEnvFiles(envFiles, secrets));
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
  const publicUrl = (
    get('INLET_PUBLIC_URL') ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${int('PORT')}`
  ).replace(/\/$/, '');
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
    publicUrl,
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS'),
    workerConcurrency: int('WORKER_CONCURRENCY'),
    clamd: {
      host: get('CLAMD_HOST')!,
      port: int('CLAMD_PORT'),
      timeoutMs: int('CLAMD_TIMEOUT_MS'),
      signaturesMaxAgeMs: int('CLAMD_SIGNATURES_MAX_AGE_HOURS') * 3_600_000,
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
    trustedAuthservIds: (get('TRUSTED_AUTHSERV_IDS') ?? '')
      .split(',')
      .filter((id) => id !== '')
      .map((id) => id.toLowerCase()),
    syncPollMinutes: int('SYNC_POLL_MINUTES'),
    syncLeaseMs: int('SYNC_LEASE_SECONDS') * 1000,
    mailboxPurgeDelayMs: int('MAILBOX_PURGE_DELAY_HOURS') * 3_600_000,
    eventsRetentionDays: int('EVENTS_RETENTION_DAYS'),
    auditCredentialsRetentionDays: int('AUDIT_CREDENTIALS_RETENTION_DAYS'),
    webhooks: { disableAfterMs: int('WEBHOOK_DISABLE_AFTER_DAYS') * 86_400_000 },
    workerStallAlertMs: int('WORKER_STALL_ALERT_SECONDS') * 1000,
    microsoft: microsoftConfig(get),
    google: googleConfig(get, publicUrl),
  });
}

/** Markdown table for the README, generated from `variables` so the two cannot drift. */
export function configTableMarkdown(): string {
  const rows = (variables as readonly Variable[]).map(
    (v) =>
      `| \`${v.name}\` | ${v.default !== undefined ? `\`${v.default}\`` : '—'} | ${describe(v.kind)}${v.secret ? ' (secret)' : ''} | ${v.description} |`,
  );
  return ['| variable | default | expected | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
