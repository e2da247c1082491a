// Full ingest pipeline vs parse-only on the same corpus messages, in the same run: the pipeline
// (parse, classify, thread, reply extraction, sanitising, scanning, encryption, one PostgreSQL
// transaction per message) should keep ≥ 50% of parse-only throughput when run with the worker's
// concurrency. Also: peak RSS while ingesting one 25 MB message (target ≤ 4× its size above the
// baseline), measured in a child process so this run's heap does not blur it.
// `npx tsx bench/pipeline-bench.ts` (embedded PostgreSQL; a local clamd when installed).
// Shorter runs: PIPELINE_ROUNDS=N timed rounds (default 3), PIPELINE_PINNED=0 skips the pinned run,
// PIPELINE_BIG=0 skips the 25 MB message, PIPELINE_BREAKDOWN=0 the passes saying where the CPU goes,
// PIPELINE_PROFILE=<dir> writes a V8 CPU profile of each round's pipeline pass there,
// PIPELINE_PG_STATEMENTS=1 prints PostgreSQL's statements and foreign-key checks of the last round,
// PIPELINE_WARMUP=N whole warm-up passes (default 1), PIPELINE_EACH=1 prints every round's CPU,
// PIPELINE_PG_SETTINGS='name=value …' runs the bench's PostgreSQL with those settings.
// The storing part alone, with PostgreSQL's CPU by function: bench/lib/pipeline-store-only.ts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { PageBuffer } from '../src/ingest/page-buffer.js';
import { parseMessage } from '../src/ingest/stages/parse.js';
import { systemActor } from '../src/tenancy/actor.js';
import { findCorpus, listMessageFiles } from '../test/corpus/run-corpus.js';
import { startCpuProfile } from './lib/cpu-profile.js';
import {
  printReferencedTables,
  printStatements,
  readStatements,
  resetStatements,
} from './lib/pg-statements.js';
import { bigMessageChild } from './lib/pipeline-big-message.js';
import {
  type Breakdown,
  countStatements,
  medianBreakdown,
  preparePass,
  prepareScanPass,
  rawOnlyPass,
} from './lib/pipeline-breakdown.js';
import { pgStatements, roundCount, warmups } from './lib/pipeline-options.js';
import { nodeCpuMs, pinServices, procCpuMs } from './lib/pipeline-procs.js';
import {
  type PipelineBenchResult,
  printBigMessage,
  printPinnedRun,
  printSharedRun,
} from './lib/pipeline-report.js';
import { freshTenant, pool, streams, withStack } from './lib/pipeline-stack.js';

export type { PipelineBenchResult };

interface Round {
  parse: number;
  pipe: number;
  parseCpu: number;
  node: number;
  postgres: number | null;
  clamd: number | null;
  breakdown: Breakdown | undefined;
}

export async function runPipelineBench(
  opts: { pinned?: boolean; breakdown?: boolean } = {},
): Promise<PipelineBenchResult | { skip: string }> {
  const corpus = findCorpus();
  if ('skip' in corpus) return corpus;
  const messages = listMessageFiles(corpus.dir)
    .map((f) => readFileSync(f.abs))
    .filter((b) => b.length < 2 * 1024 * 1024);
  return withStack(async (c, scanner, clamdPid, pgPids) => {
    if (opts.pinned) {
      const why = pinServices(clamdPid(), pgPids());
      if (why) return { skip: `pinned run: ${why}` };
    }
    const concurrency = c.config.workerConcurrency;
    const parseOnly = () =>
      pool(messages, concurrency, (raw) => parseMessage(raw).catch(() => undefined));
    // The worker's concurrency as that many mailbox syncs of one tenant (a fresh one each round),
    // each streaming its share of the corpus through a PageBuffer exactly as the sync job does.
    const pipeline = async () => {
      const t = await freshTenant(c);
      const actor = { ...systemActor(t.tenantId, 'bench'), scopes: new Set<never>() };
      const mailboxes = [t.mailboxId];
      while (mailboxes.length < concurrency)
        mailboxes.push(
          (
            await c.mailboxes.createLocal(actor, {
              address: `support-${mailboxes.length}@bench.example`,
              displayName: null,
            })
          ).id,
        );
      return async () => {
        await Promise.all(
          streams(messages, concurrency).map(async (stream, m) => {
            const buffer = new PageBuffer(c.pipeline);
            for (const { raw, i } of stream)
              await buffer.add({
                tenantId: t.tenantId,
                mailboxId: mailboxes[m]!,
                providerMessageId: `m${i}`,
                raw,
              });
            await buffer.flush();
          }),
        );
      };
    };
    // A whole pass of each first: a single warm-up pass of 100 messages left parsing half-cold
    // (JIT) and flattered the ratio by ~30%. Then interleaved rounds; the median round is reported.
    for (let w = 0; w < warmups; w++) {
      await parseOnly();
      await (
        await pipeline()
      )();
    }
    const rounds: Round[] = [];
    const pg = pgPids();
    const cl = clamdPid();
    const statements = opts.breakdown ? countStatements() : null;
    /** CPU per message of Node (whole process and main thread), PostgreSQL and clamd over `run`. */
    const measure = async (run: () => Promise<unknown>) => {
      const [pg0, cl0, node0, main0] = [
        procCpuMs(pg),
        cl ? procCpuMs([cl]) : null,
        nodeCpuMs(),
        process.threadCpuUsage(),
      ];
      const t0 = performance.now();
      await run();
      const perSec = messages.length / ((performance.now() - t0) / 1000);
      const main = process.threadCpuUsage(main0);
      const per = (a: number | null, b: number | null) =>
        a === null || b === null ? null : (b - a) / messages.length;
      return {
        perSec,
        node: (nodeCpuMs() - node0) / messages.length,
        main: (main.user + main.system) / 1000 / messages.length,
        postgres: per(pg0, procCpuMs(pg)),
        clamd: per(cl0, cl ? procCpuMs([cl]) : null),
      };
    };
    const verdicts = async () => {
      const metric = await c.metrics.getSingleMetric('inlet_attachment_verdicts_total')?.get();
      const of = (source: string) =>
        metric?.values.find((v) => v.labels.source === source)?.value ?? 0;
      return { scanned: of('clamd'), cached: of('cache') };
    };
    for (let round = 0; round < roundCount; round++) {
      const parse = await measure(parseOnly);
      const run = await pipeline();
      const [v0, q0] = [await verdicts(), statements?.read()];
      const profileDir = process.env.PIPELINE_PROFILE;
      // Made here: a missing directory otherwise fails the whole bench after its first round.
      if (profileDir) mkdirSync(profileDir, { recursive: true });
      const stopProfile = profileDir && !opts.pinned ? await startCpuProfile() : null;
      if (pgStatements) await resetStatements(c.db.pool);
      const pipe = await measure(run);
      await stopProfile?.(path.join(profileDir!, `pipeline-round${round + 1}.cpuprofile`));
      if (pgStatements && round === roundCount - 1 && !opts.pinned) {
        printStatements(await readStatements(c.db.pool), messages.length);
        await printReferencedTables(c.db.pool);
      }
      const [v1, q1] = [await verdicts(), statements?.read()];
      let breakdown: Breakdown | undefined;
      if (q0 && q1) {
        const n = messages.length;
        breakdown = {
          parse: parse.node,
          pipeline: pipe.node,
          postgres: pipe.postgres,
          clamd: pipe.clamd,
          prepare: (await measure(preparePass(messages, concurrency, pool))).node,
          prepareScan: await measure(prepareScanPass(c, messages, concurrency, pool)),
          rawOnly: await measure(await rawOnlyPass(c, messages, concurrency)),
          mainThread: pipe.main,
          scans: (v1.scanned - v0.scanned) / n,
          cached: (v1.cached - v0.cached) / n,
          statements: (q1.statements - q0.statements) / n,
          transactions: (q1.commits - q0.commits) / n,
        };
      }
      if (process.env.PIPELINE_EACH === '1')
        console.error(
          `round ${round + 1}: node ${pipe.node.toFixed(2)} (main thread ${pipe.main.toFixed(2)}) + postgres ${pipe.postgres?.toFixed(2)} + clamd ${pipe.clamd?.toFixed(2)} ms; parse-only ${parse.node.toFixed(2)} ms`,
        );
      rounds.push({
        parse: parse.perSec,
        pipe: pipe.perSec,
        parseCpu: parse.node,
        node: pipe.node,
        postgres: pipe.postgres,
        clamd: pipe.clamd,
        breakdown,
      });
    }
    const m = rounds.sort((x, y) => x.pipe / x.parse - y.pipe / y.parse)[
      Math.floor((rounds.length - 1) / 2)
    ]!;
    return {
      messages: messages.length,
      concurrency,
      parseOnlyPerSec: m.parse,
      pipelinePerSec: m.pipe,
      ratio: m.pipe / m.parse,
      scanner,
      ratios: rounds.map((r) => r.pipe / r.parse).sort((x, y) => x - y),
      cpuMsPerMessage: {
        parseOnly: m.parseCpu,
        pipeline: { node: m.node, postgres: m.postgres, clamd: m.clamd },
      },
      ...(opts.breakdown ? { breakdown: medianBreakdown(rounds.map((r) => r.breakdown!)) } : {}),
    };
  });
}

/** The pinned run in its own process (CPU affinity is per process and inherited). */
function pinnedRun(): PipelineBenchResult | { skip: string } {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--pinned-child'], {
    encoding: 'utf8',
  });
  const line = r.stdout.trim().split('\n').at(-1);
  if (r.status !== 0 || !line) return { skip: `pinned child failed: ${r.stderr.slice(-300)}` };
  return JSON.parse(line);
}

function bigMessage(): PipelineBenchResult['bigMessage'] {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, '--big-child'], {
    encoding: 'utf8',
  });
  const line = r.stdout.trim().split('\n').at(-1);
  if (r.status !== 0 || !line) throw new Error(`big-message child failed: ${r.stderr.slice(-500)}`);
  return JSON.parse(line);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--big-child')) {
    await bigMessageChild();
  } else if (process.argv.includes('--pinned-child')) {
    process.stdout.write(JSON.stringify(await runPipelineBench({ pinned: true })) + '\n');
  } else {
    const r = await runPipelineBench({ breakdown: process.env.PIPELINE_BREAKDOWN !== '0' });
    if ('skip' in r) {
      console.log(`pipeline bench skipped: ${r.skip}`);
    } else {
      const big = process.env.PIPELINE_BIG === '0' ? null : bigMessage()!;
      printSharedRun(r, roundCount);
      const pinned =
        process.env.PIPELINE_PINNED === '0' ? { skip: 'PIPELINE_PINNED=0' } : pinnedRun();
      if ('skip' in pinned) console.log(`pinned run skipped: ${pinned.skip}`);
      else printPinnedRun(pinned);
      if (big) printBigMessage(big);
      if (r.ratio < 0.5 || (big && big.ratio > 4)) process.exitCode = 1;
    }
  }
}
