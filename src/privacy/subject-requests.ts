// Data-subject requests: export and erasure by email address (POST /v1/subject-requests, scope
// privacy:manage). The address is kept only as its blind index plus, while the job runs, sealed under
// the tenant key. Export: an async job builds a zip (sealed under the tenant key) that can be
// downloaded once before SUBJECT_EXPORT_EXPIRY_HOURS. Erasure: a dry run answers the counts at once;
// the real run is a job that writes a receipt (counts and deletion windows, no content). Asking to
// erase an address with nothing left answers the previous receipt. Every step is audited; completion
// emits `subject_request.completed` (ids only).
import { randomUUID } from 'node:crypto';

import { fieldAad, open, seal, type SealedField } from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import { addJob } from '../jobs/registry.js';
import type { Logger } from '../lib/logger.js';
import type { Db, Executor } from '../store/db.js';
import { insertEvent } from '../store/event-store.js';
import * as store from '../store/subject-request-store.js';
import type { Actor } from '../tenancy/actor.js';
import { systemActor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import { deletionWindows, type EpochSettings } from '../tenancy/key-epochs.js';
import type { KeyService } from '../tenancy/key-service.js';
import { planErasure, runErasure } from './erase.js';
import { buildExport } from './export.js';
import { addressIndex } from './person-data.js';

export interface SubjectRequestDeps {
  db: Db;
  keys: KeyService;
  logger: Logger;
  epochs: EpochSettings;
  exportExpiryMs: number;
}

export interface SubjectRequestView {
  id: string | null;
  type: store.SubjectRequestType;
  dry_run: boolean;
  state: store.SubjectRequestState | 'planned';
  progress: { done: number; total: number | null };
  counts: Record<string, number>;
  requested_at: string;
  completed_at: string | null;
  expires_at: string | null;
  download_url: string | null;
  /** Erasure: when the deleted data is unreadable (live at once, backups after N days). */
  windows: { live: string; backups_unreadable_within_days: number } | null;
}

export interface SubjectRequestService {
  create(
    actor: Actor,
    input: { type: store.SubjectRequestType; address: string; dryRun: boolean },
  ): Promise<{ status: 200 | 202; view: SubjectRequestView }>;
  get(actor: Actor, id: string): Promise<SubjectRequestView>;
  download(actor: Actor, id: string): Promise<Buffer>;
}

const aad = (tenantId: string, id: string, field: SealedField) =>
  fieldAad(field, tenantId, 'tenant', id);

export function makeSubjectRequestService(deps: SubjectRequestDeps): SubjectRequestService {
  const { db, keys } = deps;
  const view = (r: store.SubjectRequestRow): SubjectRequestView => ({
    id: r.id,
    type: r.type,
    dry_run: false,
    state: r.state,
    progress: { done: r.progress_done, total: r.progress_total },
    counts: r.counts,
    requested_at: r.requested_at.toISOString(),
    completed_at: r.completed_at?.toISOString() ?? null,
    expires_at: r.expires_at?.toISOString() ?? null,
    download_url:
      r.type === 'export' && r.state === 'completed'
        ? `/v1/subject-requests/${r.id}/download`
        : null,
    windows: r.type === 'erase' ? deletionWindows(deps.epochs) : null,
  });

  return {
    create: (actor, input) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const bidx = await addressIndex(ex, keys, actor.tenantId, input.address);
        if (input.type === 'erase') {
          const counts = await planErasure(ex, keys, actor.tenantId, input.address);
          const nothing = Object.values(counts).every((n) => n === 0);
          if (input.dryRun) {
            await audit(ex, actor, 'erasure.create', 'subject_request', null, {
              dry_run: true,
              messages: counts.messages ?? 0,
            });
            const now = new Date().toISOString();
            return {
              status: 200,
              view: {
                id: null,
                type: 'erase',
                dry_run: true,
                state: 'planned',
                progress: { done: 0, total: null },
                counts,
                requested_at: now,
                completed_at: null,
                expires_at: null,
                download_url: null,
                windows: deletionWindows(deps.epochs),
              },
            };
          }
          const previous = nothing
            ? await store.latestCompletedErasure(ex, actor.tenantId, bidx)
            : null;
          if (previous) {
            await audit(ex, actor, 'erasure.create', 'subject_request', previous.id, {
              repeated: true,
            });
            return { status: 200, view: view(previous) };
          }
        } else if (input.dryRun) {
          throw new AppError('validation_failed', 'dry_run applies to erasure only.');
        }
        const id = randomUUID();
        const tenantKey = await keys.tenantKey(ex, actor.tenantId, 'tenant');
        const row = await store.insertSubjectRequest(ex, {
          id,
          tenantId: actor.tenantId,
          type: input.type,
          bidx,
          addressCt: seal(
            tenantKey,
            input.address,
            aad(actor.tenantId, id, 'subject_requests.address'),
          ),
          requestedBy: actor.name,
        });
        await addJob(
          ex,
          'subject-request.run',
          { tenantId: actor.tenantId, requestId: id },
          { key: `subject-request:${id}`, maxAttempts: 5 },
        );
        await audit(
          ex,
          actor,
          input.type === 'export' ? 'export.create' : 'erasure.create',
          'subject_request',
          id,
        );
        return { status: 202, view: view(row) };
      }),

    get: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const row = await store.findSubjectRequest(ex, actor.tenantId, id);
        if (!row) throw notFound('subject request');
        return view(row);
      }),

    download: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const row = await store.findSubjectRequest(ex, actor.tenantId, id);
        if (!row || row.type !== 'export') throw notFound('export');
        const ct = await store.takeExport(ex, actor.tenantId, id);
        if (!ct)
          throw new AppError(
            'export_unavailable',
            row.state === 'downloaded'
              ? 'This export was already downloaded; it can be downloaded once.'
              : row.state === 'completed' || row.state === 'expired'
                ? 'This export expired and was deleted.'
                : 'This export is not ready yet.',
            { state: row.state },
            row.state === 'queued' || row.state === 'running' ? 409 : 410,
          );
        const data = open(
          await keys.tenantKey(ex, actor.tenantId, 'tenant'),
          ct,
          aad(actor.tenantId, id, 'subject_requests.export'),
        );
        await audit(ex, actor, 'export.download', 'subject_request', id, { bytes: data.length });
        return data;
      }),
  };
}

/** The `subject-request.run` job. Idempotent: a finished request is left alone. */
export async function runSubjectRequest(
  deps: SubjectRequestDeps,
  payload: { tenantId: string; requestId: string },
  attempt = { n: 1, max: 1 },
): Promise<void> {
  const { db, keys } = deps;
  const { tenantId, requestId } = payload;
  const row = await db.tenantTx(tenantId, (ex) =>
    store.findSubjectRequest(ex, tenantId, requestId),
  );
  if (!row || !['queued', 'running'].includes(row.state) || !row.address_ct) return;
  const address = await db.tenantTx(tenantId, async (ex) =>
    open(
      await keys.tenantKey(ex, tenantId, 'tenant'),
      row.address_ct!,
      aad(tenantId, requestId, 'subject_requests.address'),
    ).toString('utf8'),
  );
  const actor = systemActor(tenantId, 'subject-request');
  try {
    if (row.type === 'export') {
      const built = await buildExport({ db, keys }, tenantId, requestId, address);
      await db.tenantTx(tenantId, async (ex) => {
        const exportCt = seal(
          await keys.tenantKey(ex, tenantId, 'tenant'),
          built.zip,
          aad(tenantId, requestId, 'subject_requests.export'),
        );
        await store.completeSubjectRequest(ex, tenantId, requestId, {
          counts: built.counts,
          exportCt,
          expiresAt: new Date(Date.now() + deps.exportExpiryMs),
        });
        await finish(ex, actor, row, built.counts);
      });
    } else {
      await db.tenantTx(tenantId, async (ex) => {
        const counts = await runErasure(ex, keys, tenantId, address);
        await store.insertPrivacyReceipt(ex, {
          id: randomUUID(),
          tenantId,
          kind: 'erasure',
          subjectRequestId: requestId,
          requestedBy: row.requested_by,
          counts,
          detail: deletionWindows(deps.epochs),
          completed: true,
        });
        await store.completeSubjectRequest(ex, tenantId, requestId, { counts });
        await finish(ex, actor, row, counts);
      });
    }
  } catch (err) {
    if (attempt.n >= attempt.max)
      await db.tenantTx(tenantId, (ex) => store.failSubjectRequest(ex, tenantId, requestId));
    throw err;
  }
}

async function finish(
  ex: Executor,
  actor: Actor,
  row: store.SubjectRequestRow,
  counts: Record<string, number>,
): Promise<void> {
  await audit(ex, actor, 'subject_request.complete', 'subject_request', row.id, {
    type: row.type,
    ...counts,
  });
  await insertEvent(ex, row.tenant_id, 'subject_request.completed', row.id, { type: row.type });
}
