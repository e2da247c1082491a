// Opens the MailProvider for a stored mailbox: reads the row, unwraps the mailbox data key, opens
// the sealed settings and hands them to the module of the mailbox's kind. Jobs (sync, send,
// upkeep), disconnect and the IDLE supervisor all come through here, so credentials are decrypted
// in one place and never leave memory. Every opening is an audit record (mailbox, purpose, worker)
// written through the caller's executor and counted by purpose (security.md control 5): there is
// no way to open credentials without naming where the record goes.
import { hostname } from 'node:os';

import pg from 'pg';
import { Counter, type Registry } from 'prom-client';

import { type DataKey, mailboxAad, openText, seal } from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import type { DataKeyRow } from '../store/data-key-store.js';
import { type Executor, sqlUuid } from '../store/db.js';
import { findMailbox, type MailboxRow } from '../store/mailbox-store.js';
import { systemActor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import type { MailProvider, ProviderLogger } from './mail-provider.js';
import { type ProviderKind, providerKinds } from './provider-kind.js';
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

declare const recordedBrand: unique symbol;
/** Proof that the statement which read the mailbox row also wrote its opening's audit record
 *  (credentialsRecordSql); only recordedOpening hands one out, from that statement's row. */
export type RecordedOpening = { readonly [recordedBrand]: true };

/** Where the audit record of an opening goes, and why: an executor in the tenant's transaction
 *  that writes it now, or the record already written by the statement that read the row. */
export type CredentialsOpening =
  | { ex: Executor; purpose: CredentialsPurpose }
  | { recorded: RecordedOpening; purpose: CredentialsPurpose };

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
  if ('ex' in opening)
    await audit(
      opening.ex,
      systemActor(tenantId, `credentials:${opening.purpose}`),
      'credentials.open',
      'mailbox',
      mailboxId,
      { purpose: opening.purpose, worker: workerId },
    );
  else if (!(opening as { recorded?: unknown }).recorded)
    throw new AppError('internal', 'credentials opened without an audit record');
  const text = openText(dek, ct, credentialsAad(tenantId, mailboxId));
  credentialOpens.inc({ purpose: opening.purpose });
  return text;
}

/**
 * The audit record of opening one mailbox's credentials (the same record openCredentials writes)
 * as a data-modifying CTE body of literals, for a read that carries it in its own statement and
 * round trip (sync/sync-store.ts): written only when the mailbox is active, of a kind that syncs,
 * and holds credentials, i.e. exactly when the sync will decrypt them. `RETURNING 1` lets that
 * statement say whether it wrote the record; recordedOpening reads the answer.
 */
export function credentialsRecordSql(
  tenantId: string,
  mailboxId: string,
  purpose: CredentialsPurpose,
): string {
  const detail = JSON.stringify({ purpose, worker: workerId });
  return `INSERT INTO audit_log (tenant_id, actor, action, resource_type, resource_id, detail)
     SELECT m.tenant_id, ${pg.escapeLiteral(systemActor(tenantId, `credentials:${purpose}`).name)},
            'credentials.open', 'mailbox', m.id::text, ${pg.escapeLiteral(detail)}::jsonb
       FROM mailboxes m
      WHERE m.tenant_id = ${sqlUuid(tenantId)} AND m.id = ${sqlUuid(mailboxId)}
        AND m.status = 'active' AND m.credentials_ct IS NOT NULL
        AND m.provider IN (${syncedKinds().join(', ')})
     RETURNING 1`;
}

/** Kinds whose credentials a sync opens (a mail server behind them, and a sync to run), quoted. */
const syncedKinds = () =>
  providerKinds
    .filter((k) => moduleOf(k).capabilities.canSend && moduleOf(k).capabilities.syncs)
    .map((k) => pg.escapeLiteral(k));

/** The proof for openCredentials when the reading statement wrote exactly one record, else null. */
export function recordedOpening(written: unknown): RecordedOpening | null {
  return Number(written) === 1 ? ({} as RecordedOpening) : null;
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
