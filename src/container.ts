// Composition root: one small make-function per module, wired from config. Entry points call
// makeContainer once; tests build their own containers against their own databases.
import type { Registry } from 'prom-client';

import type { Config } from './config.js';
import type { KeyProvider } from './crypto/index.js';
import { makeEventService } from './events/event-service.js';
import type { ApiDeps, Readiness } from './http/api.js';
import { makeIsolatedPrepare } from './ingest/isolated-prepare.js';
import { makePipeline, type Pipeline } from './ingest/pipeline.js';
import { type ReparseDeps, reparseOutcomes } from './ingest/reparse.js';
import { defaultIngestLimits } from './ingest/types.js';
import type { RunnerHealth } from './jobs/job-runner.js';
import type { Logger } from './lib/logger.js';
import type { DisconnectDeps } from './mailboxes/disconnect.js';
import { makeMailboxService } from './mailboxes/mailbox-service.js';
import { registerDatabaseGauges, reparseMessagesCounter } from './metrics/operator-metrics.js';
import { makeMetricsRegistry } from './metrics/registry.js';
import { setEgressPolicy } from './net/egress-guard.js';
import { makeConsentFlow } from './oauth/consent-flow.js';
import { makeReturnOrigins } from './oauth/return-origins.js';
import { makeReplyService } from './outbound/reply-service.js';
import { beginOffboarding, type OffboardDeps } from './privacy/offboard-tenant.js';
import { makeRetentionService } from './privacy/retention-service.js';
import { makeSubjectRequestService, type SubjectRequestDeps } from './privacy/subject-requests.js';
import type { MailProvider } from './providers/mail-provider.js';
import {
  type CredentialsPurpose,
  providerForMailbox,
  registerCredentialOpenMetric,
} from './providers/open-mailbox.js';
import {
  makeImapConnector,
  moduleOf,
  type ProviderRuntimes,
  startProviders,
  startPushReceivers,
} from './providers/registry.js';
import { makeClamdScanner } from './scanner/clamd-scanner.js';
import { queryClamdVersion } from './scanner/clamd-version.js';
import type { Scanner } from './scanner/scanner.js';
import { watchScanner } from './scanner/scanner-watch.js';
import { watchSignatureAge } from './scanner/signature-age.js';
import type { Executor } from './store/db.js';
import { type Db, isConnectionError, makeDb, makePool } from './store/db.js';
import { appliedMigrationId, latestMigrationId } from './store/migrate.js';
import { sendStatementsUnnamed } from './store/pool-mode.js';
import { makeAuditReader } from './tenancy/audit.js';
import { type EpochDeps, overdueConfiguredKeys } from './tenancy/key-epochs.js';
import { type KeyService, makeKeyService } from './tenancy/key-service.js';
import { loadKeyProvider } from './tenancy/keyring-loader.js';
import { makeTenantService } from './tenancy/tenant-service.js';
import { makeTicketService } from './tickets-api/ticket-service.js';
import { makeWebhookEndpointService } from './webhooks/endpoint-service.js';
import type { TargetPolicy } from './webhooks/endpoint-target.js';

export interface Container extends ApiDeps {
  config: Config;
  logger: Logger;
  db: Db;
  keys: KeyService;
  scanner: Scanner;
  pipeline: Pipeline;
  /** The rebuild of stored messages' derived views (ingest/reparse.ts): ingest's limits and isolation. */
  reparseDeps: ReparseDeps;
  /** Each provider module's process-wide runtime (Gmail: client, token cache, rate-limit state). */
  providerDeps: ProviderRuntimes;
  /** providerForMailbox with providerDeps, for the send job. */
  providerFor(
    ex: Executor,
    keys: KeyService,
    tenantId: string,
    mailboxId: string,
    purpose: CredentialsPurpose,
  ): Promise<MailProvider>;
  /** What disconnect and the mailbox.purge job need (purge delay, provider access). */
  disconnectDeps: DisconnectDeps;
  metrics: Registry;
  /** Where webhooks may be sent (https in production; addresses per the egress guard). */
  webhookPolicy: TargetPolicy;
  /** What tenant offboarding needs (disconnect deps + key epochs). */
  offboardDeps: OffboardDeps;
  /** What the subject-request job needs. */
  privacyDeps: SubjectRequestDeps;
  /** What the key-epoch job needs (KEY_EPOCH_DAYS, KEY_RETENTION_DAYS). */
  epochDeps: EpochDeps;
  /** Set while this process runs the worker (main/worker.ts): the job runner's health, for readiness. */
  workerHealth?: () => RunnerHealth;
  /** Refuses to run when stored data keys are wrapped by KEKs missing from the keyring. */
  checkKeyring(): Promise<void>;
  close(): Promise<void>;
}

export async function makeContainer(
  config: Config,
  logger: Logger,
  databaseUrl: string,
  keyProvider?: KeyProvider,
): Promise<Container> {
  // Every tenant-chosen connection (IMAP, SMTP, reconnects) is checked against this policy.
  setEgressPolicy(config.egress);
  const pool = makePool(databaseUrl, config.databasePoolMax);
  if (config.databasePoolMode === 'transaction') sendStatementsUnnamed(pool);
  const db = makeDb(pool);
  const latest = await latestMigrationId();
  const keys = makeKeyService(keyProvider ?? (await loadKeyProvider(config, logger)));

  async function readiness(): Promise<Readiness> {
    try {
      const applied = await appliedMigrationId(pool);
      const migrations = applied !== null && applied >= latest ? 'ok' : 'pending';
      const runner = container.workerHealth?.();
      const worker = runner
        ? runner.state === 'running'
          ? 'ok'
          : runner.state === 'starting'
            ? 'starting'
            : 'stalled'
        : undefined;
      return {
        ready: migrations === 'ok' && (worker === undefined || worker === 'ok'),
        database: 'ok',
        migrations,
        ...(worker ? { worker } : {}),
        scanner: signatures.state(),
      };
    } catch (err) {
      if (!isConnectionError(err)) logger.warn({ err }, 'readiness check failed');
      return { ready: false, database: 'unreachable', migrations: 'unknown' };
    }
  }

  // One registry per container (no global state); Node's own process metrics included.
  const metrics = makeMetricsRegistry();
  registerDatabaseGauges(metrics, db);
  registerCredentialOpenMetric(metrics);
  const scanner = watchScanner(
    makeClamdScanner({
      host: config.clamd.host,
      port: config.clamd.port,
      timeoutMs: config.clamd.timeoutMs,
      maxStreamBytes: config.ingest.maxMessageBytes,
    }),
    logger,
    metrics,
    { where: `${config.clamd.host}:${config.clamd.port}` },
  );
  // A probe's answer comes from the last VERSION; a hanging clamd delays only the background ask.
  const signatures = watchSignatureAge({
    version: () =>
      queryClamdVersion({
        host: config.clamd.host,
        port: config.clamd.port,
        timeoutMs: Math.min(config.clamd.timeoutMs, 5_000),
      }),
    maxAgeMs: config.clamd.signaturesMaxAgeMs,
    registry: metrics,
  });
  const limits = {
    ...defaultIngestLimits,
    maxMessageBytes: config.ingest.maxMessageBytes,
    maxParts: config.ingest.maxParts,
    maxDepth: config.ingest.maxDepth,
  };
  // Opt-in (INGEST_ISOLATE_ABOVE_BYTES > 0). 512 MB of JS heap for one message's parse is far
  // beyond any real mail (message bytes live outside the heap).
  const isolated =
    config.ingest.isolateAboveBytes > 0
      ? makeIsolatedPrepare({ budgetMs: config.ingest.prepareBudgetMs, maxHeapMb: 512, logger })
      : null;
  const pipeline = makePipeline({
    db,
    keys,
    scanner,
    logger,
    registry: metrics,
    maxAttempts: config.ingest.maxAttempts,
    limits,
    trustFor: (kind) => moduleOf(kind).authResults(config),
    ...(isolated
      ? { isolation: { aboveBytes: config.ingest.isolateAboveBytes, prepare: isolated } }
      : {}),
  });

  const tenants = makeTenantService({ db, keys, maxApiKeys: config.maxApiKeysPerTenant });
  const providerContext = { config, db, keys, logger, metrics };
  const providerDeps = startProviders(providerContext);
  const providerFor: Container['providerFor'] = (ex, k, tenantId, mailboxId, purpose) =>
    providerForMailbox(ex, k, tenantId, mailboxId, purpose, providerDeps);
  const disconnectDeps: DisconnectDeps = {
    db,
    keys,
    logger,
    providerFor,
    purgeDelayMs: config.mailboxPurgeDelayMs,
  };
  const privacyDeps: SubjectRequestDeps = {
    db,
    keys,
    logger,
    epochs: { epochMs: config.keys.epochMs, retentionMs: config.keys.retentionMs },
    exportExpiryMs: config.subjectExportExpiryMs,
  };

  // Webhook targets go through the egress guard set above (setEgressPolicy); https only in production.
  const webhookPolicy: TargetPolicy = { httpsOnly: config.production };

  const container: Container = {
    config,
    logger,
    webhookPolicy,
    events: makeEventService({ db }),
    webhookEndpoints: makeWebhookEndpointService({ db, keys, policy: webhookPolicy }),
    providerDeps,
    providerFor,
    disconnectDeps,
    metrics,
    consent: makeConsentFlow({
      db,
      keys,
      logger,
      runtimes: providerDeps,
      allowSharedMailboxes: config.consentAllowSharedMailboxes,
      publicUrl: config.publicUrl,
    }),
    returnOrigins: makeReturnOrigins({ db, production: config.production }),
    push: startPushReceivers(providerContext, providerDeps),
    db,
    keys,
    scanner,
    pipeline,
    reparseDeps: {
      db,
      keys,
      logger,
      limits,
      counter: reparseMessagesCounter(metrics, reparseOutcomes),
      ...(isolated
        ? { isolation: { aboveBytes: config.ingest.isolateAboveBytes, prepare: isolated } }
        : {}),
    },
    readiness,
    operatorKey: config.operatorKey,
    rateLimitPerMinute: config.rateLimitPerMinute,
    authFailuresPerMinute: config.authFailuresPerMinute,
    tenantRateLimitPerMinute: config.tenantRateLimitPerMinute,
    tenants,
    mailboxes: makeMailboxService(disconnectDeps),
    imapMailboxes: makeImapConnector({ db, keys }),
    auditReader: makeAuditReader({ db }),
    tickets: makeTicketService({ db, keys }),
    replies: makeReplyService({ db, keys }),
    privacyDeps,
    offboardDeps: { ...disconnectDeps, epochs: privacyDeps.epochs },
    offboardTenant: (tenantId, by) =>
      beginOffboarding({ ...disconnectDeps, epochs: privacyDeps.epochs }, tenantId, by),
    subjectRequests: makeSubjectRequestService(privacyDeps),
    retention: makeRetentionService({ db, epochs: privacyDeps.epochs }),
    epochDeps: {
      db,
      keys,
      logger,
      settings: { epochMs: config.keys.epochMs, retentionMs: config.keys.retentionMs },
    },
    checkKeyring: async () => {
      const missing = await db.tx((ex) => keys.missingKekIds(ex));
      if (missing.length > 0) {
        throw new Error(
          `stored data keys are wrapped by key-encryption keys missing from the keyring: ${missing.join(', ')}. Add them back to INLET_MASTER_KEYS (or run \`inlet keys rotate\` while they are still present).`,
        );
      }
      // The backup promise depends on retired keys really going: refuse to run while one is kept.
      const overdue = await overdueConfiguredKeys({ db, keys });
      if (overdue.length > 0) {
        throw new Error(
          `retired key-encryption keys are still configured past their destroy date: ${overdue.map((e) => `${e.kek_id} (destroy after ${e.destroy_after!.toISOString()})`).join(', ')}. Remove them from INLET_MASTER_KEYS: no live data needs them, and keeping them keeps old backups readable.`,
        );
      }
    },
    close: async () => {
      // API keys' last-used stamps still in memory, before the pool goes.
      await tenants.close().catch(() => undefined);
      // Idle clamd sessions close themselves too; this just does it now.
      await scanner.close();
      await isolated?.close();
      await db.close();
    },
  };
  return container;
}
