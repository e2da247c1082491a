// A tenant with local mailboxes and the real pipeline, for the rebuild of derived views
// (src/ingest/reparse.ts): store mail, set its rows back to an older derivation, run batches.
import { DERIVE_VERSION } from '../../src/ingest/derive-version.js';
import { type BatchResult, emptyCounts, reparseBatch } from '../../src/ingest/reparse.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { type IngestFixture, makeIngestFixture } from './ingest.js';

export function reparseBed() {
  let fixture: IngestFixture | undefined;
  const f = () => fixture!;

  const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
    (await f().t.database.owner.tx((c) => c.query<T>(sql, params))).rows;

  return {
    get f() {
      return f();
    },
    owner,
    /** The test's fixture; 64 KiB is this bed's size limit, so a larger message leaves a stub. */
    start: async () => {
      fixture = await makeIngestFixture({ INGEST_MAX_MESSAGE_BYTES: String(64 * 1024) });
    },
    close: () => fixture?.t.close(),

    async store(raw: Buffer, mailboxId: string) {
      const out = await f().ingest(raw, { mailboxId });
      if (out.status !== 'stored') throw new Error(`not stored: ${out.status}`);
      return out;
    },

    /** Every inbound row of the mailbox as if an older derivation had made it. */
    markOld: (mailboxId: string) =>
      owner('UPDATE messages SET derive_version = $2 WHERE mailbox_id = $1', [
        mailboxId,
        DERIVE_VERSION - 1,
      ]),

    /** Runs batches (of two) until the mailbox has nothing left, adding up the counts. */
    async reparseAll(mailboxId: string, tenantId = f().tenant.id) {
      const counts = emptyCounts();
      let last: BatchResult;
      do {
        last = await reparseBatch(
          f().t.container.reparseDeps,
          systemActor(tenantId, 'test'),
          mailboxId,
          { batchSize: 2 },
        );
        for (const [k, v] of Object.entries(last.counts)) counts[k as keyof typeof counts] += v;
      } while (last.more);
      return { counts, mailboxGone: last.mailboxGone };
    },

    /** Each row's version and a digest of its sealed views, warnings and sent_at, by id. */
    sealedColumns: (mailboxId: string) =>
      owner<{ id: string; derive_version: number; cts: string }>(
        `SELECT id, derive_version, encode(sha256(headers_ct || coalesce(text_ct, '') || coalesce(html_ct, '') || coalesce(reply_ct, '')), 'hex') || array_to_string(warnings, ',') || coalesce(sent_at::text, '') AS cts
           FROM messages WHERE mailbox_id = $1 ORDER BY id`,
        [mailboxId],
      ),
  };
}
