// `inlet import PATH --mailbox ID`: feeds local mail through the real ingest pipeline, exactly as a
// provider sync would, with a progress line and a summary. Importing the same files again stores
// nothing twice (the provider message id is the SHA-256 of the bytes) and skips what is on record.
import { createHash } from 'node:crypto';

import { AppError } from '../errors.js';
import { defaultPageLimits, type Ingested, PageBuffer } from '../ingest/page-buffer.js';
import type { Pipeline } from '../ingest/pipeline.js';
import type { Db } from '../store/db.js';
import { deliveredAmong } from '../store/delivery-store.js';
import { findMailboxTenant } from '../store/mailbox-store.js';
import { systemActor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import { countMessages, mailSources } from './mail-sources.js';

export interface ImportSummary {
  messages: number;
  ticketsOpened: number;
  threaded: number;
  duplicates: number;
  parked: number;
  kinds: Record<string, number>;
  attachments: Record<string, number>;
}

export async function importMail(
  deps: { db: Db; pipeline: Pick<Pipeline, 'ingestPage'> },
  target: string,
  mailboxId: string,
  progress: (done: number, total: number, s: ImportSummary) => void = () => undefined,
): Promise<ImportSummary> {
  const mailbox = await deps.db.tx((ex) => findMailboxTenant(ex, mailboxId));
  if (!mailbox) throw new AppError('not_found', `No mailbox ${mailboxId}.`);
  if (mailbox.status === 'disconnected')
    throw new AppError('mailbox_data_destroyed', 'That mailbox was disconnected.');
  const total = await countMessages(target);
  const s: ImportSummary = {
    messages: 0,
    ticketsOpened: 0,
    threaded: 0,
    duplicates: 0,
    parked: 0,
    kinds: {},
    attachments: {},
  };
  const pages = new PageBuffer(deps.pipeline);
  const count = (stored: Ingested[]) => {
    for (const { outcome } of stored) {
      s.messages++;
      if (outcome.status === 'duplicate') s.duplicates++;
      else if (outcome.status === 'parked') s.parked++;
      else {
        if (outcome.newTicket) s.ticketsOpened++;
        else s.threaded++;
        s.kinds[outcome.kind] = (s.kinds[outcome.kind] ?? 0) + 1;
        for (const [k, v] of Object.entries(outcome.attachments))
          s.attachments[k] = (s.attachments[k] ?? 0) + v;
      }
    }
    if (stored.length > 0) progress(s.messages, total, s);
  };
  // Asked in batches which messages an earlier run already took in: those are duplicates without
  // being parsed or scanned again, so re-running an import over a large archive is quick.
  let batch: { providerMessageId: string; raw: Buffer }[] = [];
  let batchBytes = 0;
  const sendBatch = async () => {
    const known = await deps.db.tenantTx(mailbox.tenant_id, (ex) =>
      deliveredAmong(
        ex,
        mailbox.tenant_id,
        mailboxId,
        batch.map((b) => b.providerMessageId),
      ),
    );
    for (const { providerMessageId, raw } of batch) {
      if (known.has(providerMessageId)) {
        s.messages++;
        s.duplicates++;
        progress(s.messages, total, s);
      } else {
        count(
          await pages.add({
            tenantId: mailbox.tenant_id,
            mailboxId,
            providerMessageId,
            raw,
            maxAttempts: 1,
          }),
        );
      }
    }
    batch = [];
    batchBytes = 0;
  };
  for await (const source of mailSources(target)) {
    batch.push({
      providerMessageId: `sha256:${createHash('sha256').update(source.raw).digest('hex')}`,
      raw: source.raw,
    });
    batchBytes += source.raw.length;
    // Checked a page's worth at a time (the same bounds: these wait in memory as a page does).
    if (batch.length >= defaultPageLimits.maxMessages || batchBytes >= defaultPageLimits.maxBytes)
      await sendBatch();
  }
  await sendBatch();
  count(await pages.flush());
  await deps.db.tenantTx(mailbox.tenant_id, (ex) =>
    audit(
      ex,
      { ...systemActor(mailbox.tenant_id, 'import'), name: 'operator' },
      'import.run',
      'mailbox',
      mailboxId,
      {
        messages: s.messages,
        tickets_opened: s.ticketsOpened,
        parked: s.parked,
        duplicates: s.duplicates,
      },
    ),
  );
  return s;
}

export function formatSummary(s: ImportSummary): string {
  const kinds =
    Object.entries(s.kinds)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const att =
    Object.entries(s.attachments)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    `imported ${s.messages} messages`,
    `  tickets opened:    ${s.ticketsOpened}`,
    `  threaded replies:  ${s.threaded}`,
    `  classified:        ${kinds}`,
    `  attachments:       ${att}${s.attachments.infected ? ' (infected ones are quarantined)' : ''}`,
    `  duplicates:        ${s.duplicates}`,
    `  parked:            ${s.parked}${s.parked ? ' (kept encrypted with the reason; see ingest_failures)' : ''}`,
  ].join('\n');
}

export function progressLine(done: number, total: number, s: ImportSummary): string {
  const width = 30;
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  tickets ${s.ticketsOpened}  threaded ${s.threaded}  parked ${s.parked}`;
}
