// `npx tsx bench/lib/pipeline-store-only.ts`: the storing part of the pipeline bench alone —
// store-page.ts in one tenant transaction per page of 50, four mailboxes at once as the bench's
// syncs do — over the corpus prepared once beforehand, every attachment clean. Node's (whole
// process and main thread) and PostgreSQL's CPU per message and the WAL written, per round, so a
// change to the store path or to PostgreSQL's settings is measured without the noise of parsing
// and scanning. A warm-up round first, then STORE_ROUNDS (default 5); min / median / max.
//   STORE_PERF=<file>   `perf record` of the bench's PostgreSQL over the timed rounds (where its CPU
//                       goes by function; STORE_PERF_ARGS, default '-g'; try '--call-graph dwarf')
//   STORE_PROFILE=<file> a V8 CPU profile of the last round (bench/lib/profile-summary.ts)
//   STORE_DROP_FOREIGN_KEYS=1  a what-if only: drops every foreign key after the warm-up, to show
//                       what the checks cost (they guard tenancy; Inlet never runs without them)
//   PIPELINE_PG_SETTINGS='name=value …'  PostgreSQL settings, as for the pipeline bench
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { Container } from '../../src/container.js';
import type { PageItem } from '../../src/ingest/ingest-types.js';
import { type PreparedMessage, prepareMessage } from '../../src/ingest/prepare.js';
import { trustNothing } from '../../src/ingest/stages/sender-auth.js';
import { storePage } from '../../src/ingest/store-page.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { ingestOpening, type IngestOpeningRow } from '../../src/store/inbound-store.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { findCorpus, listMessageFiles } from '../../test/corpus/run-corpus.js';
import { startCpuProfile } from './cpu-profile.js';
import { nodeCpuMs, procCpuMs } from './pipeline-procs.js';
import { freshTenant, streams, withStack } from './pipeline-stack.js';
import { pct } from './stats.js';

const rounds = Math.max(1, Number(process.env.STORE_ROUNDS ?? 5));
const pageSize = 50;
const concurrency = 4;

interface Row {
  node: number;
  main: number;
  pg: number;
  walMb: number;
}

/** A fresh tenant with `concurrency` mailboxes (a round's messages are new to it). */
async function mailboxesOfFreshTenant(c: Container) {
  const t = await freshTenant(c);
  const actor = { ...systemActor(t.tenantId, 'bench'), scopes: new Set<never>() };
  const mailboxes = [t.mailboxId];
  while (mailboxes.length < concurrency) {
    const address = `s${mailboxes.length}-${randomUUID()}@bench.example`;
    mailboxes.push((await c.mailboxes.createLocal(actor, { address, displayName: null })).id);
  }
  return { tenantId: t.tenantId, mailboxes };
}

/** One round: every message stored once, each mailbox's share page by page. */
async function storeRound(
  c: Container,
  corpus: { raw: Buffer; p: PreparedMessage }[],
): Promise<void> {
  const { tenantId, mailboxes } = await mailboxesOfFreshTenant(c);
  // Fresh attachment ids each round: prepare gave them once, and they are primary keys.
  const prepared = corpus.map(({ p }) => ({
    ...p,
    attachments: p.attachments.map((a) => ({ ...a, id: randomUUID() })),
  }));
  const dealt = streams(
    corpus.map((x) => x.raw),
    concurrency,
  );
  await Promise.all(
    dealt.map(async (stream, m) => {
      const mailboxId = mailboxes[m]!;
      for (let at = 0; at < stream.length; at += pageSize) {
        const page: PageItem[] = stream.slice(at, at + pageSize).map(({ raw, i }) => ({
          input: { tenantId, mailboxId, providerMessageId: `m${i}`, raw },
          prepared: prepared[i]!,
          scans: prepared[i]!.attachments.map(() => ({ status: 'clean' as const, detail: null })),
        }));
        await c.db.tenantTxOpening<IngestOpeningRow, unknown>(
          tenantId,
          ingestOpening(tenantId, mailboxId),
          (ex, opened) =>
            storePage(c.keys, ex, tenantId, mailboxId, page, undefined, opened, () => trustNothing),
        );
      }
    }),
  );
}

async function walLsn(c: Container): Promise<string> {
  return (await c.db.pool.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!
    .l;
}

async function walMbSince(c: Container, lsn: string): Promise<number> {
  const { rows } = await c.db.pool.query<{ d: string }>(
    'SELECT pg_current_wal_lsn() - $1::pg_lsn AS d',
    [lsn],
  );
  return Number(rows[0]!.d) / (1024 * 1024);
}

async function dropForeignKeys(c: Container): Promise<void> {
  const { rows } = await c.db.pool.query<{ t: string; n: string }>(
    `SELECT conrelid::regclass::text AS t, conname AS n FROM pg_constraint WHERE contype = 'f'`,
  );
  for (const r of rows) await c.db.pool.query(`ALTER TABLE ${r.t} DROP CONSTRAINT "${r.n}"`);
}

/** `perf record` of these processes until the returned function is called. */
async function perfRecord(file: string, pids: number[]): Promise<() => Promise<void>> {
  const args = (process.env.STORE_PERF_ARGS ?? '-g').split(' ');
  const perf = spawn('perf', ['record', ...args, '-o', file, '-p', pids.join(',')], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 500)); // perf attaches before the round starts
  return () =>
    new Promise<void>((resolve) => {
      perf.once('exit', () => resolve());
      perf.kill('SIGINT');
    });
}

const spread = (xs: number[]) =>
  `${Math.min(...xs).toFixed(3)} / ${pct(xs, 50).toFixed(3)} / ${Math.max(...xs).toFixed(3)}`;

const found = findCorpus();
if ('skip' in found) throw new Error(found.skip);
const messages = listMessageFiles(found.dir)
  .map((f) => readFileSync(f.abs))
  .filter((b) => b.length < 2 * 1024 * 1024);

await withStack(async (c, _scanner, _clamd, pgPids) => {
  const corpus: { raw: Buffer; p: PreparedMessage }[] = [];
  for (const raw of messages) {
    const p = await prepareMessage(raw, defaultIngestLimits).catch(() => null);
    if (p) corpus.push({ raw, p });
  }
  let stopPerf: (() => Promise<void>) | null = null;
  const rows: Row[] = [];
  for (let round = 0; round <= rounds; round++) {
    if (round === 1 && process.env.STORE_DROP_FOREIGN_KEYS === '1') await dropForeignKeys(c);
    const pg = pgPids();
    if (round === 1 && process.env.STORE_PERF)
      stopPerf = await perfRecord(process.env.STORE_PERF, pg);
    const profile = process.env.STORE_PROFILE;
    const stopProfile = profile && round === rounds ? await startCpuProfile() : null;
    const lsn = await walLsn(c);
    const [pg0, node0, main0] = [procCpuMs(pg) ?? 0, nodeCpuMs(), process.threadCpuUsage()];
    await storeRound(c, corpus);
    const main = process.threadCpuUsage(main0);
    const n = corpus.length;
    const row: Row = {
      node: (nodeCpuMs() - node0) / n,
      main: (main.user + main.system) / 1000 / n,
      pg: ((procCpuMs(pg) ?? 0) - pg0) / n,
      walMb: await walMbSince(c, lsn),
    };
    await stopProfile?.(profile!);
    if (round > 0) rows.push(row);
    console.error(
      `round ${round}${round === 0 ? ' (warm-up)' : ''}: node ${row.node.toFixed(3)} (main thread ${row.main.toFixed(3)}) + postgres ${row.pg.toFixed(3)} ms per message; WAL ${row.walMb.toFixed(1)} MB`,
    );
  }
  await stopPerf?.();
  console.log(
    `store only, ${corpus.length} messages, ${rounds} rounds, min / median / max ms per message: node ${spread(rows.map((r) => r.node))} (main thread ${spread(rows.map((r) => r.main))}), postgres ${spread(rows.map((r) => r.pg))}`,
  );
});
