// Parser bench: msgs/s of each ParserAdapter over the same ../shared/corpus messages in one run,
// plus their correctness on the corpus (Zammad field agreement, sisimai bounce rate, robustness).
// `npx tsx bench/parse-bench.ts` or call runParseBench() from a bench runner.
import { readFileSync } from 'node:fs';

import type { ParserAdapter } from '../src/ingest/stages/parse.js';
import { mailparserAdapter, parseWith } from '../src/ingest/stages/parse.js';
import { adjustedRatio } from '../test/corpus/corpus-report.js';
import { findCorpus, listMessageFiles, runCorpus } from '../test/corpus/run-corpus.js';
import { postalMimeAdapter } from './postal-adapter.js';

export interface ParserBenchRow {
  parser: string;
  msgsPerSecAll: number;
  msgsPerSecSmall: number;
  mbPerSec: number;
  zammadAdjustedMin: number;
  zammadByField: Record<string, number>;
  sisimaiBounceRate: number;
  crashes: number;
  slowest: { file: string; ms: number };
}

async function throughput(
  adapter: ParserAdapter,
  messages: Buffer[],
  minMs: number,
): Promise<{ msgsPerSec: number; mbPerSec: number }> {
  for (const m of messages) await parseWith(adapter, m).catch(() => undefined);
  let count = 0;
  let bytes = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (const m of messages) {
      await parseWith(adapter, m).catch(() => undefined);
      count++;
      bytes += m.length;
    }
  }
  const s = (performance.now() - t0) / 1000;
  return { msgsPerSec: count / s, mbPerSec: bytes / 1e6 / s };
}

export async function runParseBench(
  opts: { minMs?: number; adapters?: ParserAdapter[] } = {},
): Promise<ParserBenchRow[] | { skip: string }> {
  const corpus = findCorpus();
  if ('skip' in corpus) return corpus;
  const adapters = opts.adapters ?? [mailparserAdapter, postalMimeAdapter];
  const all = listMessageFiles(corpus.dir).map((f) => readFileSync(f.abs));
  const small = all.filter((b) => b.length <= 10 * 1024);
  const rows: ParserBenchRow[] = [];
  for (const adapter of adapters) {
    const report = await runCorpus({ dir: corpus.dir, adapter });
    const allRun = await throughput(adapter, all, opts.minMs ?? 3000);
    const smallRun = await throughput(adapter, small, opts.minMs ?? 3000);
    const byField = Object.fromEntries(
      Object.entries(report.zammad).map(([f, t]) => [f, adjustedRatio(t)]),
    );
    const slow = report.files.reduce((a, b) => (b.ms > a.ms ? b : a));
    rows.push({
      parser: adapter.name,
      msgsPerSecAll: allRun.msgsPerSec,
      msgsPerSecSmall: smallRun.msgsPerSec,
      mbPerSec: allRun.mbPerSec,
      zammadAdjustedMin: Math.min(...Object.values(byField)),
      zammadByField: byField,
      sisimaiBounceRate: report.sisimai.bounces
        ? report.sisimai.asBounce / report.sisimai.bounces
        : 1,
      crashes: report.files.filter((f) => f.outcome === 'crash').length,
      slowest: { file: slow.file.rel, ms: slow.ms },
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runParseBench();
  if ('skip' in rows) console.log(`skipped: ${rows.skip}`);
  else {
    console.log(
      '| parser | msgs/s all | msgs/s ≤10 KB | MB/s | worst Zammad field (adjusted) | sisimai bounce | crashes | slowest |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.parser} | ${r.msgsPerSecAll.toFixed(0)} | ${r.msgsPerSecSmall.toFixed(0)} | ${r.mbPerSec.toFixed(1)} | ${(100 * r.zammadAdjustedMin).toFixed(1)}% | ${(100 * r.sisimaiBounceRate).toFixed(1)}% | ${r.crashes} | ${r.slowest.ms.toFixed(0)} ms ${r.slowest.file} |`,
      );
    }
    for (const r of rows)
      console.log(
        r.parser,
        Object.entries(r.zammadByField)
          .map(([f, v]) => `${f} ${(100 * v).toFixed(1)}%`)
          .join(', '),
      );
  }
}
