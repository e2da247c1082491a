// What the pipeline bench measures and how it prints it.
import os from 'node:os';

import { type Breakdown, printBreakdown } from './pipeline-breakdown.js';

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

const f = (n: number | null) => (n === null ? 'n/a' : n.toFixed(2));

/** The shared-cores run: throughput, ratio, CPU per message and where it goes. */
export function printSharedRun(r: PipelineBenchResult, roundCount: number): void {
  console.log(
    `corpus messages: ${r.messages}, concurrency ${r.concurrency}, scanner: ${r.scanner}`,
  );
  console.log(`parse-only:     ${r.parseOnlyPerSec.toFixed(0)} msg/s`);
  console.log(
    `full pipeline:  ${r.pipelinePerSec.toFixed(0)} msg/s   ratio ${r.ratio.toFixed(2)} (target ≥ 0.50; median of ${r.ratios.length} rounds: ${r.ratios.map((x) => x.toFixed(2)).join(' ')})`,
  );
  const cpu = r.cpuMsPerMessage;
  console.log(
    `CPU per message: parse-only ${f(cpu.parseOnly)} ms; pipeline node ${f(cpu.pipeline.node)} + postgres ${f(cpu.pipeline.postgres)} + clamd ${f(cpu.pipeline.clamd)} ms (all on ${os.cpus().length} cores)`,
  );
  const bound = cpuBound(r, os.cpus().length, 'shared');
  if (bound) console.log(`  bound: ${bound}`);
  if (r.breakdown) printBreakdown(r.breakdown, roundCount);
}

/** The pinned run, Node on one CPU and the services on the others. */
export function printPinnedRun(pinned: PipelineBenchResult): void {
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

export function printBigMessage(big: NonNullable<PipelineBenchResult['bigMessage']>): void {
  console.log(
    `25 MB message:  ${big.sizeMB.toFixed(1)} MB raw, RSS baseline ${big.baselineMB.toFixed(0)} MB, peak ${big.peakMB.toFixed(0)} MB, growth ${big.deltaMB.toFixed(0)} MB = ${big.ratio.toFixed(2)}× the message (target ≤ 4×)`,
  );
}
