// What a provider module is: everything that differs between kinds of mailbox, in one object per
// provider folder, listed once in registry.ts. Code outside the provider folders never names a
// provider; it asks the registry for the module of a mailbox's kind and calls these members.
//
// Type parameters: S is the provider's stored settings (sealed in mailboxes.credentials_ct), R its
// process-wide runtime (clients built from config, caches), P its push receiver.
import type { Registry } from 'prom-client';

import type { Config } from '../config.js';
import type { AuthservTrust } from '../ingest/stages/sender-auth.js';
import type { Logger } from '../lib/logger.js';
import type { Db, Executor } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';
import type { ProviderCapabilities } from './capabilities.js';
import type { MailProvider, ProviderLogger } from './mail-provider.js';
import type { ProviderKind } from './provider-kind.js';

/** What a module may use when the process starts it (composition root). */
export interface ProviderContext {
  config: Config;
  db: Db;
  keys: KeyService;
  logger: Logger;
  metrics?: Registry;
}

/** Per-open dependencies: the ids the settings belong to and a logger bound to the job. */
export interface OpenDeps {
  tenantId: string;
  mailboxId: string;
  logger?: ProviderLogger;
}

/** What the provider-neutral consent flow (src/oauth/consent-flow.ts) needs from an OAuth provider. */
export interface ConsentAdapter<R, S> {
  /** Scopes asked for, for the audit record and the docs. */
  readonly scopes: readonly string[];
  /** Text shown on the callback page for each outcome code (the flow's own codes and this adapter's). */
  readonly failureText: Readonly<Record<string, string>>;
  /** Title of the callback page. */
  readonly title: { ok: string; failed: string };
  /** The provider's consent URL for a signed state and a PKCE S256 challenge. */
  /**
   * Provider-specific start options (e.g. Microsoft's shared mailbox): name → check returning the
   * value to keep, or null when it is not valid. They travel sealed with the PKCE verifier.
   */
  readonly options?: Readonly<Record<string, (value: string) => string | null>>;
  authorizationUrl(
    runtime: R,
    req: {
      state: string;
      codeChallenge: string;
      loginHint?: string | undefined;
      options?: ConsentOptions;
    },
  ): string;
  /**
   * Exchanges the code (with the PKCE verifier) and identifies the account. `settings` completes
   * the stored settings once the mailbox id is known. A `fail` code must be a key of failureText.
   */
  exchange(
    runtime: R,
    req: { code: string; codeVerifier: string; logger: Logger; options?: ConsentOptions },
  ): Promise<ConsentGrant<S> | { fail: string }>;
}

/** Checked provider-specific start options (see ConsentAdapter.options). */
export type ConsentOptions = Readonly<Record<string, string>>;

export interface ConsentGrant<S> {
  /** The account's address, lower-cased: one live mailbox per address per tenant. */
  address: string;
  settings(ids: { tenantId: string; mailboxId: string }): S;
  /** After the mailbox is stored: warm caches, start push. Must not throw for a push that fails. */
  connected?(ctx: { db: Db; logger: Logger; settings: S }): Promise<void>;
}

/** Periodic work a module asks the upkeep scheduler for (src/sync/upkeep.ts). */
export interface UpkeepTask<R> {
  /** Unique within the module; part of the cron identifier and the job payload. */
  name: string;
  /** graphile-worker cron match ("m h dom mon dow"); null = not scheduled in this process. */
  schedule(config: Config, runtime: R | undefined): string | null;
  /** How far back a slot missed while every worker was down is still run (0 = never). */
  backfillMs: number;
  maxAttempts: number;
  run(ctx: UpkeepContext<R>): Promise<void>;
}

/** Work on one mailbox that a task fans out (one keyed job per mailbox). */
export interface MailboxTask<R> {
  name: string;
  maxAttempts: number;
  run(ctx: UpkeepContext<R>, tenantId: string, mailboxId: string): Promise<void>;
}

export interface UpkeepContext<R> {
  db: Db;
  keys: KeyService;
  logger: Logger;
  config: Config;
  runtime: R | undefined;
  /** Opens a stored mailbox of any kind (the caller closes it). */
  open(
    ex: Executor,
    tenantId: string,
    mailboxId: string,
    logger?: ProviderLogger,
  ): Promise<MailProvider>;
  /** Queues this module's mailbox task for one mailbox, keyed `<task>:<mailboxId>`. */
  enqueueMailboxTask(
    ex: Executor,
    task: string,
    tenantId: string,
    mailboxId: string,
  ): Promise<void>;
}

export interface ProviderUpkeep<R> {
  /** Minutes between catch-up polls (a keyed sync of every active mailbox of this kind); null = none. */
  pollMinutes?(config: Config, runtime: R | undefined): number | null;
  tasks?: UpkeepTask<R>[];
  mailboxTasks?: MailboxTask<R>[];
}

export interface ProviderModule<S = unknown, R = unknown, P = unknown> {
  readonly kind: ProviderKind;
  readonly capabilities: ProviderCapabilities;
  /**
   * Which Authentication-Results fields the server that receives this kind of mailbox's mail
   * writes: only those say whether a sender is authentic (src/ingest/stages/sender-auth.ts).
   */
  authResults(config: Config): AuthservTrust;
  /** Process-wide runtime from config; undefined when the operator has not configured this provider. */
  start(ctx: ProviderContext): R | undefined;
  /** The decrypted settings JSON → settings; throws on an unknown shape. */
  parseSettings(json: string): S;
  /** Settings → a MailProvider for one job. Throws when the provider is not configured here. */
  open(settings: S, runtime: R | undefined, deps: OpenDeps): MailProvider;
  consent?: ConsentAdapter<R, S>;
  /** The receiver of this provider's push notifications (built once; its route calls it). */
  push?(ctx: ProviderContext, runtime: R | undefined): P;
  upkeep?: ProviderUpkeep<R>;
}
