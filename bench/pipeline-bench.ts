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
// PIPELINE_WARMUP=N whole warm-up passes (default 1), PIPELINE_EACH=1 prints every round's CPU.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { loadConfig } from '../src/config.js';
import { type Container, makeContainer } from '../src/container.js';
import { generateKek, makeLocalKeyProvider } from '../src/crypto/index.js';
import { PageBuffer } from '../src/ingest/page-buffer.js';
import { parseMessage } from '../src/ingest/stages/parse.js';
import { makeLogger } from '../src/lib/logger.js';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';
import { migrate } from '../src/store/migrate.js';
import { systemActor } from '../src/tenancy/actor.js';
import { findCorpus, listMessageFiles } from '../test/corpus/run-corpus.js';
import { startClamd } from '../test/helpers/clamd.js';
import { startCpuProfile } from './lib/cpu-profile.js';
import {
  printReferencedTables,
  printStatements,
  readStatements,
  resetStatements,
  statementFlags,
} from './lib/pg-statements.js';
import {
  type Breakdown,
  countStatements,
  medianBreakdown,
  preparePass,
  prepareScanPass,
  printBreakdown,
  rawOnlyPass,
} from './lib/pipeline-breakdown.js';

const logger = makeLogger({ level: 'silent' });
const roundCount = Math.max(1, Number(process.env.PIPELINE_ROUNDS ?? 3));
const warmups = Math.max(1, Number(process.env.PIPELINE_WARMUP ?? 1));
const pgStatements = process.env.PIPELINE_PG_STATEMENTS === '1';

export interface PipelineBenchResult {
  messages: number;
  concurrency: number;
  parseOnlyPerSec: number;
  pipelinePerSec: number;
  ratio: number;
  /** Every round's ratio, ascending (the median one is `ratio`). */
  ratios: number[];
  scanner: 'clamd' | 'none (attachments pending)';
  /** CPU milliseconds per message during the timed runs, by process (Linux /proc; null elsewhere). */
  cpuMsPerMessage: {
    parseOnly: number;
    pipeline: { node: number; postgres: number | null; clamd: number | null };
  };
  /** Where the CPU goes (see bench/lib/pipeline-breakdown.ts); the unpinned run only. */
  breakdown?: Breakdown;
  bigMessage?: {
    sizeMB: number;
    baselineMB: number;
    peakMB: number;
    deltaMB: number;
    ratio: number;
  };
}

interface Round {
  parse: number;
  pipe: number;
  parseCpu: number;
  node: number;
  postgres: number | null;
  clamd: number | null;
  breakdown: Breakdown | undefined;
}

async function freshTenant(c: Container): Promise<{ tenantId: string; mailboxId: string }> {
  const { tenant } = await c.tenants.createTenant(`bench-${Date.now()}`, {
    actor: 'operator',
    requestId: null,
    clientIp: null,
  });
  const actor = { ...systemActor(tenant.id, 'bench'), scopes: new Set<never>() };
  const mb = await c.mailboxes.createLocal(actor, {
    address: `support-${Date.now()}@bench.example`,
    displayName: null,
  });
  return { tenantId: tenant.id, mailboxId: mb.id };
}

/** utime+stime of processes, in ms (Linux /proc; clock ticks are 10 ms here). A process gone since is skipped. */
function procCpuMs(pids: number[]): number | null {
  if (process.platform !== 'linux') return null;
  return pids.reduce((sum, pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      return sum;
    }
  }, 0);
}

/**
 * The bench's own PostgreSQL: its postmaster (first line of postmaster.pid in the data folder) and
 * that postmaster's children. Counting every `postgres` on the host charged other clusters' CPU
 * (a developer's database, a parallel test run) to the pipeline.
 */
function postgresPids(dataDir: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return [];
  }
  if (!Number.isInteger(postmaster) || postmaster <= 0) return [];
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        if (pid === postmaster) return true;
        try {
          // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

const nodeCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function withStack<T>(
  fn: (
    c: Container,
    scanner: PipelineBenchResult['scanner'],
    clamdPid: () => number | undefined,
    pgPids: () => number[],
  ) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-bench-'));
  const pg = await startEmbeddedPostgres(dir, logger, 'inlet', {
    flags: pgStatements ? statementFlags : [],
  });
  // Every round scans the same corpus: without this, clamd answers all but the first from its cache.
  const clamd = await startClamd({ disableCache: true }).catch(() => null);
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: pg.url,
      CLAMD_PORT: String(clamd?.port ?? 1),
      WORKER_CONCURRENCY: '4',
    });
    const c = await makeContainer(
      config,
      logger,
      pg.url,
      makeLocalKeyProvider([generateKek('bench')]),
    );
    await migrate(c.db.pool);
    try {
      return await fn(
        c,
        clamd ? 'clamd' : 'none (attachments pending)',
        () => clamd?.pid,
        () => postgresPids(path.join(dir, 'pg')),
      );
    } finally {
      await c.close();
    }
  } finally {
    await clamd?.dispose();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** The corpus dealt out to `n` mailboxes, as `n` sync jobs would each receive their own mail. */
function streams(messages: Buffer[], n: number): { raw: Buffer; i: number }[][] {
  const out = Array.from({ length: n }, () => [] as { raw: Buffer; i: number }[]);
  messages.forEach((raw, i) => out[i % n]!.push({ raw, i }));
  return out;
}

/**
 * Pins this process (every thread) to CPU 0 and PostgreSQL and clamd to the other CPUs: the
 * deployed shape, where the database and the scanner are services on their own hosts, emulated on
 * one machine. Parse-only then also runs on one CPU, so both sides of the ratio get the same Node.
 */
function pinServices(clamdPid: number | undefined, pgPids: number[]): string | null {
  const cpus = os.cpus().length;
  if (process.platform !== 'linux' || cpus < 2) return 'needs Linux and at least 2 CPUs';
  const others = `1-${cpus - 1}`;
  const pin = (pid: number, list: string) =>
    spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' }).status === 0;
  // The postmaster's future backends inherit its mask, so the pool's connections land there too.
  const ok =
    [...pgPids, ...(clamdPid ? [clamdPid] : [])].every((pid) => pin(pid, others)) &&
    pin(process.pid, '0');
  return ok ? null : 'taskset failed';
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

/** Child-process part: ingest one 25 MB message and report RSS figures as JSON on stdout. */
async function bigMessageChild(): Promise<void> {
  await withStack(async (c) => {
    const t = await freshTenant(c);
    const attachment = randomBytes(18 * 1024 * 1024)
      .toString('base64')
      .replace(/.{76}/g, '$&\r\n');
    const raw = Buffer.from(
      [
        'From: big@client.example',
        'To: support@bench.example',
        'Subject: big one',
        'Message-ID: <big@client.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'see attached',
        '--b',
        'Content-Type: application/octet-stream; name="blob.bin"',
        'Content-Disposition: attachment; filename="blob.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        attachment,
        '--b--',
        '',
      ].join('\r\n'),
    );
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const outcome = await c.pipeline.ingest({ ...t, providerMessageId: 'big', raw });
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const mb = (n: number) => n / 2 ** 20;
    process.stdout.write(
      JSON.stringify({
        status: outcome.status,
        sizeMB: mb(raw.length),
        baselineMB: mb(baseline),
        peakMB: mb(peak),
        deltaMB: mb(peak - baseline),
        ratio: (peak - baseline) / raw.length,
      }) + '\n',
    );
  });
}

/**
 * The most the measured CPU per message allows, whatever the scheduling: with shared cores, all
 * three processes' CPU divided over the cores; pinned, Node's on its one core or PostgreSQL's and
 * clamd's on the rest, whichever runs out first. Says how far the target is from this machine.
 */
function cpuBound(r: PipelineBenchResult, cores: number, mode: 'shared' | 'pinned'): string | null {
  const { node, postgres, clamd } = r.cpuMsPerMessage.pipeline;
  if (postgres === null || clamd === null) return null;
  const services = ((cores - 1) * 1000) / (postgres + clamd);
  const [perSec, why] =
    mode === 'shared'
      ? [
          (cores * 1000) / (node + postgres + clamd),
          `${(node + postgres + clamd).toFixed(2)} ms of CPU per message on ${cores} cores`,
        ]
      : 1000 / node <= services
        ? [1000 / node, `Node's ${node.toFixed(2)} ms per message on its one core`]
        : [
            services,
            `PostgreSQL's and clamd's ${(postgres + clamd).toFixed(2)} ms per message on ${cores - 1} core(s)`,
          ];
  return `${why} allow at most ${perSec.toFixed(0)} msg/s, a ratio of ${(perSec / r.parseOnlyPerSec).toFixed(2)} at this parse-only rate`;
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
      console.log(
        `corpus messages: ${r.messages}, concurrency ${r.concurrency}, scanner: ${r.scanner}`,
      );
      console.log(`parse-only:     ${r.parseOnlyPerSec.toFixed(0)} msg/s`);
      console.log(
        `full pipeline:  ${r.pipelinePerSec.toFixed(0)} msg/s   ratio ${r.ratio.toFixed(2)} (target ≥ 0.50; median of ${r.ratios.length} rounds: ${r.ratios.map((x) => x.toFixed(2)).join(' ')})`,
      );
      const cpu = r.cpuMsPerMessage;
      const f = (n: number | null) => (n === null ? 'n/a' : n.toFixed(2));
      console.log(
        `CPU per message: parse-only ${f(cpu.parseOnly)} ms; pipeline node ${f(cpu.pipeline.node)} + postgres ${f(cpu.pipeline.postgres)} + clamd ${f(cpu.pipeline.clamd)} ms (all on ${os.cpus().length} cores)`,
      );
      const bound = cpuBound(r, os.cpus().length, 'shared');
      if (bound) console.log(`  bound: ${bound}`);
      if (r.breakdown) printBreakdown(r.breakdown, roundCount);
      const pinned =
        process.env.PIPELINE_PINNED === '0' ? { skip: 'PIPELINE_PINNED=0' } : pinnedRun();
      if ('skip' in pinned) console.log(`pinned run skipped: ${pinned.skip}`);
      else {
        const pc = pinned.cpuMsPerMessage;
        console.log(
          `pinned (Node on CPU 0; PostgreSQL and clamd on the others, as separate hosts would be):`,
        );
        console.log(
          `  parse-only ${pinned.parseOnlyPerSec.toFixed(0)} msg/s, full pipeline ${pinned.pipelinePerSec.toFixed(0)} msg/s, ratio ${pinned.ratio.toFixed(2)} (rounds ${pinned.ratios.map((x) => x.toFixed(2)).join(' ')}); CPU per message: node ${f(pc.pipeline.node)} + postgres ${f(pc.pipeline.postgres)} + clamd ${f(pc.pipeline.clamd)} ms`,
        );
        const pinnedBound = cpuBound(pinned, os.cpus().length, 'pinned');
        if (pinnedBound) console.log(`  bound: ${pinnedBound}`);
      }
      if (big)
        console.log(
          `25 MB message:  ${big.sizeMB.toFixed(1)} MB raw, RSS baseline ${big.baselineMB.toFixed(0)} MB, peak ${big.peakMB.toFixed(0)} MB, growth ${big.deltaMB.toFixed(0)} MB = ${big.ratio.toFixed(2)}× the message (target ≤ 4×)`,
        );
      if (r.ratio < 0.5 || (big && big.ratio > 4)) process.exitCode = 1;
    }
  }
}
