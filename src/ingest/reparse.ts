// Rebuilds the derived views of stored inbound mail from its sealed original after the derivation
// changed (DERIVE_VERSION, derive-version.ts; security.md control 19, docs/security-controls.md#reparse).
// One batch of one mailbox per call, in ONE tenant transaction: the mailbox row share-locked as
// ingest locks it (a disconnect waits for the batch, and a mailbox being disconnected is skipped:
// its key is, or is about to be, gone), the batch's rows locked, each original opened, derived
// again (reparse-derive.ts), the views that changed sealed again under the mailbox key, every row
// looked at marked with the version, and one audit record of the access. A crash rolls the batch
// back whole and the next run does it again; a finished row is below the version no more, so a
// second run finds nothing to do (idempotent), and a forced one re-seals nothing (the derivation
// is deterministic and unchanged views are left as they are).
//
// Not redone, by design: the kind (human, auto-reply, bounce…) and bounce links, threading and the
// ticket a message sits on, and the attachments (their ids, bytes, names and scan verdicts). These
// are decisions taken with what the tenant had at ingest and may since have been acted on (a
// ticket answered, a bounce linked to a reply, a download allowed); changing them under a helpdesk
// is not a view fix. A message whose original now parses into other attachments keeps its views.
import type { Counter } from 'prom-client';

import type { SealedField } from '../crypto/index.js';
import {
  attachmentDigest,
  type DataKey,
  fieldAad,
  isCryptoError,
  open,
  openText,
  seal,
} from '../crypto/index.js';
import type { Logger } from '../lib/logger.js';
import type { Db, Executor } from '../store/db.js';
import { lockMailboxForIngest } from '../store/inbound-store.js';
import { findStoredRaw, readRawWhole } from '../store/raw-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import { DERIVE_VERSION } from './derive-version.js';
import type { IsolatedPrepare } from './isolated-prepare.js';
import { type PreparedMessage, prepareMessage, type StoredHeaders } from './prepare.js';
import { type DerivedViews, rederive, type StoredAttachment } from './reparse-derive.js';
import {
  attachmentIdentities,
  lockStaleMessages,
  markLooked,
  readSealedViews,
  type StaleRow,
  type ViewColumn,
  writeViews,
} from './reparse-store.js';
import type { IngestLimits } from './types.js';

export interface ReparseDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  limits: IngestLimits;
  /** As ingest: originals of at least `aboveBytes` are prepared on the isolated thread. */
  isolation?: { aboveBytes: number; prepare: IsolatedPrepare };
  /** inlet_reparse_messages_total (reparseCounter). */
  counter?: Counter<'outcome'>;
}

export const reparseOutcomes = [
  'rebuilt',
  'unchanged',
  'skipped_no_raw',
  'skipped_oversize_stub',
  'skipped_unreadable',
  'skipped_unparseable',
  'skipped_attachments_changed',
] as const;
export type ReparseOutcome = (typeof reparseOutcomes)[number];
export type ReparseCounts = Record<ReparseOutcome, number>;

export const emptyCounts = (): ReparseCounts =>
  Object.fromEntries(reparseOutcomes.map((o) => [o, 0])) as ReparseCounts;

export interface BatchOptions {
  /** Rows locked per batch. */
  batchSize?: number;
  /** Original bytes a batch opens before it stops (at least one message). */
  maxBytes?: number;
  /** Run in the batch's transaction when rows may remain (the job queues its next batch here, so a
   *  crash between batches cannot end the chain). */
  onMore?: (ex: Executor) => Promise<void>;
}

export interface BatchResult {
  counts: ReparseCounts;
  /** Rows below the version may remain: run another batch. */
  more: boolean;
  /** The mailbox is gone or being disconnected: nothing was read. */
  mailboxGone: boolean;
}

const defaultBatch = 25;
const defaultMaxBytes = 8 * 1024 * 1024;

export async function reparseBatch(
  deps: ReparseDeps,
  actor: Actor,
  mailboxId: string,
  opts: BatchOptions = {},
): Promise<BatchResult> {
  const tenantId = actor.tenantId;
  const batchSize = opts.batchSize ?? defaultBatch;
  const maxBytes = opts.maxBytes ?? defaultMaxBytes;
  const counts = emptyCounts();
  const result = await deps.db.tenantTx(tenantId, async (ex) => {
    const status = await lockMailboxForIngest(ex, tenantId, mailboxId);
    if (status === null || status === 'disconnecting' || status === 'disconnected')
      return { counts, more: false, mailboxGone: true };
    const rows = await lockStaleMessages(ex, tenantId, mailboxId, DERIVE_VERSION, batchSize);
    if (rows.length === 0) return { counts, more: false, mailboxGone: false };
    const dek = await deps.keys.mailboxKey(ex, tenantId, mailboxId);
    const index = await deps.keys.tenantKey(ex, tenantId, 'index');
    const digest = (sha: string) => attachmentDigest(index.key, sha);
    const looked: string[] = [];
    let bytes = 0;
    let done = 0;
    for (const row of rows) {
      if (done > 0 && bytes >= maxBytes) break;
      const outcome = await reparseOne(deps, ex, { tenantId, mailboxId, dek, digest }, row);
      counts[outcome]++;
      if (outcome !== 'rebuilt') looked.push(row.id);
      bytes += Number(row.raw_bytes ?? 0);
      done++;
    }
    await markLooked(ex, tenantId, looked, DERIVE_VERSION);
    // One record per batch: which mailbox's mail was opened, how much, and what became of it.
    await audit(ex, actor, 'message.reparse', 'mailbox', mailboxId, {
      version: DERIVE_VERSION,
      messages: done,
      ...counts,
    });
    const more = rows.length === batchSize || done < rows.length;
    if (more) await opts.onMore?.(ex);
    return { counts, more, mailboxGone: false };
  });
  // Counted once committed: a rolled-back batch is done again and would count twice.
  for (const o of reparseOutcomes) if (counts[o] > 0) deps.counter?.inc({ outcome: o }, counts[o]);
  return result;
}

interface Scope {
  tenantId: string;
  mailboxId: string;
  dek: DataKey;
  digest: (sha256: string) => Buffer;
}

async function reparseOne(
  deps: ReparseDeps,
  ex: Executor,
  s: Scope,
  row: StaleRow,
): Promise<ReparseOutcome> {
  // The stub of a message parked as too large: its "original" is the header block it was made of,
  // and deriving it again would drop what parking added (the warning, the original's size).
  if (row.warnings.includes('message_too_large')) return 'skipped_oversize_stub';
  const raw = await readOriginal(deps, ex, s, row.id);
  if (raw === 'none') return 'skipped_no_raw';
  if (raw === 'unreadable') return 'skipped_unreadable';
  let prepared: PreparedMessage;
  try {
    prepared = await prepare(deps, raw);
  } catch (err) {
    // A parser that now refuses what it once took (a limit lowered, a new refusal): the stored
    // views stay, nothing is lost. The error's code only: its message may quote the mail.
    deps.logger.warn(
      { message: row.id, code: (err as { code?: unknown }).code ?? 'error' },
      'reparse: the original no longer parses; its views are kept',
    );
    return 'skipped_unparseable';
  }
  let stored: DerivedViews;
  let attachments: StoredAttachment[];
  try {
    stored = await storedViews(ex, s, row);
    attachments = await storedAttachments(ex, s, row.id);
  } catch (err) {
    if (!isCryptoError(err)) throw err;
    // A sealed view that does not open cannot say what it kept (threading ids, bounce, sender
    // checks); left for whoever investigates, like a damaged original, and the batch goes on.
    deps.logger.warn(
      { message: row.id, reason: err.reason },
      'reparse: a stored view fails its integrity check; the message is left as it is',
    );
    return 'skipped_unreadable';
  }
  const r = rederive(prepared, stored, attachments, s.digest);
  if (r.outcome === 'unchanged') return 'unchanged';
  if (r.outcome === 'attachments_changed') return 'skipped_attachments_changed';
  const sealed = (field: SealedField, v: string | null) =>
    v === null ? null : seal(s.dek, v, fieldAad(field, s.tenantId, s.mailboxId, row.id));
  const set: Partial<Record<ViewColumn, Buffer | string[] | Date | null>> = {};
  for (const f of r.changed) {
    if (f === 'headers')
      set.headers_ct = sealed('messages.headers', JSON.stringify(r.views.headers));
    else if (f === 'text') set.text_ct = sealed('messages.text', r.views.text);
    else if (f === 'html') set.html_ct = sealed('messages.html', r.views.html);
    else if (f === 'reply') set.reply_ct = sealed('messages.reply', r.views.reply);
    else if (f === 'warnings') set.warnings = r.views.warnings;
    else set.sent_at = r.views.sentAt;
  }
  await writeViews(ex, s.tenantId, row.id, DERIVE_VERSION, set);
  return 'rebuilt';
}

async function readOriginal(
  deps: ReparseDeps,
  ex: Executor,
  s: Scope,
  messageId: string,
): Promise<Buffer | 'none' | 'unreadable'> {
  const stored = await findStoredRaw(ex, s.tenantId, messageId);
  if (!stored || stored.kind === 'none') return 'none';
  try {
    return stored.kind === 'chunks'
      ? await readRawWhole(ex, s.dek, stored.ref)
      : open(s.dek, stored.ct, stored.aad);
  } catch (err) {
    if (!isCryptoError(err)) throw err;
    // Tampered or incomplete (raw-store.ts checks): kept as it is for whoever investigates.
    deps.logger.warn(
      { message: messageId, reason: err.reason },
      'reparse: the stored original fails its integrity check; its views are kept',
    );
    return 'unreadable';
  }
}

function prepare(deps: ReparseDeps, raw: Buffer): Promise<PreparedMessage> {
  // The size limit decides what is taken in, and this message was: a limit lowered since must not
  // refuse it now (the oversize stub is prepared the same way, park-message.ts).
  const limits = {
    ...deps.limits,
    maxMessageBytes: Math.max(deps.limits.maxMessageBytes, raw.length),
  };
  return deps.isolation && raw.length >= deps.isolation.aboveBytes
    ? deps.isolation.prepare.prepare(raw, limits)
    : prepareMessage(raw, limits);
}

async function storedViews(ex: Executor, s: Scope, row: StaleRow): Promise<DerivedViews> {
  const v = await readSealedViews(ex, s.tenantId, row.id);
  const o = (field: SealedField, ct: Buffer | null) =>
    ct === null ? null : openText(s.dek, ct, fieldAad(field, s.tenantId, s.mailboxId, row.id));
  return {
    headers: JSON.parse(o('messages.headers', v.headers_ct)!) as StoredHeaders,
    text: o('messages.text', v.text_ct),
    html: o('messages.html', v.html_ct),
    reply: o('messages.reply', v.reply_ct),
    warnings: row.warnings,
    sentAt: row.sent_at,
  };
}

async function storedAttachments(
  ex: Executor,
  s: Scope,
  messageId: string,
): Promise<StoredAttachment[]> {
  return (await attachmentIdentities(ex, s.tenantId, messageId)).map((a) => ({
    id: a.id,
    position: a.position,
    size: a.size,
    contentId: a.content_id_ct
      ? openText(
          s.dek,
          a.content_id_ct,
          fieldAad('attachments.content_id', s.tenantId, s.mailboxId, a.id),
        )
      : null,
    digest: a.content_digest,
  }));
}
