// Opens the MailProvider for a stored mailbox: reads the row, unwraps the mailbox data key, opens
// the sealed settings and hands them to the module of the mailbox's kind. Jobs (sync, send,
// upkeep), disconnect and the IDLE supervisor all come through here, so credentials are decrypted
// in one place and never leave memory. Every opening is an audit record (mailbox, purpose, worker)
// written through the caller's executor and counted by purpose (security.md control 5): there is
// no way to open credentials without naming where the record goes.
import { hostname } from 'node:os';

import { Counter, type Registry } from 'prom-client';

import { type DataKey, mailboxAad, openText, seal } from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import type { DataKeyRow } from '../store/data-key-store.js';
import type { Executor } from '../store/db.js';
import { findMailbox, type MailboxRow } from '../store/mailbox-store.js';
import { systemActor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import type { MailProvider, ProviderLogger } from './mail-provider.js';
import type { ProviderKind } from './provider-kind.js';
import { moduleOf, type ProviderRuntimes } from './registry.js';

/** Process-wide runtimes of the providers plus a logger bound to the caller's job. */
export type ProviderFactoryDeps = ProviderRuntimes & { logger?: ProviderLogger };

/** AAD of mailboxes.credentials_ct: bound to tenant, mailbox and field, so it cannot be moved. */
export function credentialsAad(tenantId: string, mailboxId: string) {
  return mailboxAad('mailboxes.credentials', tenantId, mailboxId);
}

/** Seals a provider's settings (any JSON value) for mailboxes.credentials_ct. */
export function sealCredentials(
  dek: DataKey,
  tenantId: string,
  mailboxId: string,
  settings: unknown,
): Buffer {
  return seal(dek, JSON.stringify(settings), credentialsAad(tenantId, mailboxId));
}

/** Why a mailbox's credentials are opened; the audit record's `purpose` and the metric's label. */
export type CredentialsPurpose =
  | 'sync'
  | 'send'
  | 'revoke'
  | 'upkeep'
  | 'idle'
  | 'push_check'
  | 'credentials_update'
  | 'reauthorize';

/** Where the audit record of an opening goes: an executor in the tenant's transaction, and why. */
export interface CredentialsOpening {
  ex: Executor;
  purpose: CredentialsPurpose;
}

/** This process, as the audit record's worker id: host and pid, never a secret. */
const workerId = `${hostname()}:${process.pid}`;

// One counter for the process; registerCredentialOpenMetric adds it to the process's registry.
const credentialOpensName = 'inlet_credentials_opened_total';
const credentialOpens = new Counter({
  name: credentialOpensName,
  help: "Mailbox credentials decrypted, by purpose (each is also an audit record 'credentials.open')",
  labelNames: ['purpose'],
  registers: [],
});

export function registerCredentialOpenMetric(registry: Registry): void {
  if (!registry.getSingleMetric(credentialOpensName)) registry.registerMetric(credentialOpens);
}

/**
 * Decrypts a mailbox's sealed settings after writing its audit record through `opening.ex`: when
 * the record cannot be written (no tenant transaction, a failed insert), nothing is decrypted.
 */
export async function openCredentials(
  opening: CredentialsOpening,
  dek: DataKey,
  tenantId: string,
  mailboxId: string,
  ct: Buffer,
): Promise<string> {
  await audit(
    opening.ex,
    systemActor(tenantId, `credentials:${opening.purpose}`),
    'credentials.open',
    'mailbox',
    mailboxId,
    { purpose: opening.purpose, worker: workerId },
  );
  const text = openText(dek, ct, credentialsAad(tenantId, mailboxId));
  credentialOpens.inc({ purpose: opening.purpose });
  return text;
}

/**
 * The provider for one mailbox. 404 when the row is not visible in this transaction, 410
 * mailbox_data_destroyed after disconnect, 422 mailbox_cannot_send for local (import-only) mailboxes.
 * The caller must close() the provider.
 */
export async function providerForMailbox(
  ex: Executor,
  keys: KeyService,
  tenantId: string,
  mailboxId: string,
  purpose: CredentialsPurpose,
  deps: ProviderFactoryDeps = {},
): Promise<MailProvider> {
  const row = await findMailbox(ex, tenantId, mailboxId);
  if (!row) throw notFound('mailbox');
  assertReadable(row);
  return openProvider({ ex, purpose }, row, await keys.mailboxKey(ex, tenantId, mailboxId), deps);
}

/**
 * The same from a mailbox row and its data key row read already (a sync reads them with its state
 * in one statement, sync/sync-store.ts syncOpeningSql), with the same errors.
 */
export async function providerFromRows(
  opening: CredentialsOpening,
  keys: KeyService,
  row: MailboxRow,
  keyRow: DataKeyRow | null,
  deps: ProviderFactoryDeps = {},
): Promise<MailProvider> {
  assertReadable(row);
  return openProvider(opening, row, await keys.unwrap(keyRow, 'mailbox'), deps);
}

function assertReadable(row: MailboxRow): void {
  if (!moduleOf(row.provider).capabilities.canSend) {
    throw new AppError(
      'mailbox_cannot_send',
      'This mailbox is fed by imports only; it has no mail server to read from or send through.',
      undefined,
      422,
    );
  }
}

async function openProvider(
  opening: CredentialsOpening,
  row: MailboxRow,
  dek: DataKey,
  deps: ProviderFactoryDeps,
) {
  const module = moduleOf(row.provider);
  if (!row.credentials_ct) throw new AppError('internal', 'mailbox has no stored credentials');
  const settings = module.parseSettings(
    await openCredentials(opening, dek, row.tenant_id, row.id, row.credentials_ct),
  );
  const runtime = (deps as Partial<Record<ProviderKind, unknown>>)[row.provider];
  return module.open(settings, runtime, {
    tenantId: row.tenant_id,
    mailboxId: row.id,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
