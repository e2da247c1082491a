// CPU cost of prepareMessage beyond parsing, on the corpus messages under 2 MB: parseMessage alone
// vs prepareMessage, in the same process after a warm-up, over interleaved rounds (this VM's noise
// moves from one process or minute to the next, so both sides share each round). The split by
// stage times each stage on its own over the already parsed messages, with the inputs prepare
// gives it. Classification runs in the pipeline, not in prepare; it is timed here as well because
// it is the other CPU stage between parse and the database.
// `npx tsx bench/prepare-bench.ts` or runPrepareBench() from a bench runner.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

import { extractNewText, prepareMessage } from '../src/ingest/prepare.js';
import { classifyMessage } from '../src/ingest/stages/classify.js';
import { htmlToText } from '../src/ingest/stages/html-to-text.js';
import { parseMessage } from '../src/ingest/stages/parse.js';
import { sanitizeEmailHtml } from '../src/ingest/stages/sanitize-html.js';
import type { ParsedMessage } from '../src/ingest/types.js';
import { defaultIngestLimits } from '../src/ingest/types.js';
import { findCorpus, listMessageFiles } from '../test/corpus/run-corpus.js';

const stageNames = ['sanitise', 'htmlToText', 'reply', 'classify'] as const;
type StageName = (typeof stageNames)[number];

export interface PrepareBenchResult {
  messages: number;
  rounds: number;
  /** Median over rounds of ms per message (all messages, including ones a limit refuses). */
  parseMs: number;
  prepareMs: number;
  /** prepareMs − parseMs: what prepare adds to parsing. */
  extraMs: number;
  /** Median ms per message of each stage alone (summed over the messages it applies to, divided by all). */
  stagesMs: Record<StageName, number>;
  /** The per-round figures behind the medians, to show the spread. */
  perRound: { parseMs: number; prepareMs: number }[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const SLICE = 25;

const classifyCtx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};

interface StageInput {
  parsed: ParsedMessage;
  /** Sanitised HTML and its text rendering as prepare computes them, for the stages that take them. */
  html: string | null;
  htmlText: string | undefined;
}

function sanitise(p: ParsedMessage): string | null {
  return p.html ? sanitizeEmailHtml(p.html, { cidUrl: () => null }).html : null;
}

const stages: Record<StageName, (s: StageInput) => unknown> = {
  sanitise: (s) => sanitise(s.parsed),
  htmlToText: (s) => (s.parsed.text === null && s.html ? htmlToText(s.html) : null),
  reply: (s) => extractNewText(s.parsed.text, s.html, [], s.htmlText),
  classify: (s) => classifyMessage(s.parsed, classifyCtx),
};

async function timeAsync(items: Buffer[], fn: (raw: Buffer) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (const raw of items) await fn(raw).catch(() => undefined);
  return performance.now() - t0;
}

function timeSync<T>(items: T[], fn: (item: T) => unknown): number {
  const t0 = performance.now();
  for (const item of items) fn(item);
  return performance.now() - t0;
}

export async function runPrepareBench(
  opts: { rounds?: number } = {},
): Promise<PrepareBenchResult | { skip: string }> {
  const corpus = findCorpus();
  if ('skip' in corpus) return corpus;
  const messages = listMessageFiles(corpus.dir)
    .map((f) => readFileSync(f.abs))
    .filter((b) => b.length < 2 * 1024 * 1024);
  const limits = defaultIngestLimits;
  const parse = (raw: Buffer) => parseMessage(raw, limits);
  const prepare = (raw: Buffer) => prepareMessage(raw, limits);

  const inputs: StageInput[] = [];
  for (const raw of messages) {
    const parsed = await parse(raw).catch(() => null);
    if (!parsed) continue;
    const html = sanitise(parsed);
    inputs.push({
      parsed,
      html,
      htmlText: parsed.text === null && html !== null ? htmlToText(html) : undefined,
    });
  }
  // Warm-up: JIT and lazily built regexes/decoders on every path.
  await timeAsync(messages, parse);
  await timeAsync(messages, prepare);
  for (const name of stageNames) timeSync(inputs, stages[name]);

  const rounds = opts.rounds ?? 7;
  const perRound: PrepareBenchResult['perRound'] = [];
  const stageRuns: Record<StageName, number[]> = {
    sanitise: [],
    htmlToText: [],
    reply: [],
    classify: [],
  };
  const n = messages.length;
  for (let r = 0; r < rounds; r++) {
    // Both sides take turns on small slices of the corpus, the order flipping each time, so a slow
    // stretch of the VM (seconds long here) lands on both alike.
    let parseT = 0;
    let prepareT = 0;
    for (let at = 0, k = 0; at < n; at += SLICE, k++) {
      const slice = messages.slice(at, at + SLICE);
      if ((k + r) % 2 === 0) {
        parseT += await timeAsync(slice, parse);
        prepareT += await timeAsync(slice, prepare);
      } else {
        prepareT += await timeAsync(slice, prepare);
        parseT += await timeAsync(slice, parse);
      }
    }
    perRound.push({ parseMs: parseT / n, prepareMs: prepareT / n });
    for (const name of stageNames) stageRuns[name].push(timeSync(inputs, stages[name]) / n);
  }
  const parseMs = median(perRound.map((p) => p.parseMs));
  const prepareMs = median(perRound.map((p) => p.prepareMs));
  const extraRuns = perRound.map((p) => p.prepareMs - p.parseMs);
  return {
    messages: n,
    rounds,
    parseMs,
    prepareMs,
    extraMs: median(extraRuns),
    stagesMs: Object.fromEntries(stageNames.map((s) => [s, median(stageRuns[s])])) as Record<
      StageName,
      number
    >,
    perRound,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runPrepareBench({ rounds: Number(process.argv[2] ?? 7) });
  if ('skip' in r) {
    console.log(`prepare bench skipped: ${r.skip}`);
  } else {
    const f = (x: number) => x.toFixed(3);
    console.log(
      `corpus messages < 2 MB: ${r.messages}, ${r.rounds} interleaved rounds (medians, ms per message)`,
    );
    console.log(`parseMessage:    ${f(r.parseMs)} ms`);
    console.log(
      `prepareMessage:  ${f(r.prepareMs)} ms   (prepare − parse ${f(r.extraMs)} ms, ratio ${(r.prepareMs / r.parseMs).toFixed(2)})`,
    );
    console.log(
      `stages alone:    ${stageNames.map((s) => `${s} ${f(r.stagesMs[s])}`).join(', ')} ms  (classify runs in the pipeline, not in prepare)`,
    );
    console.log(
      `rounds:          ${r.perRound.map((p) => `${f(p.parseMs)}/${f(p.prepareMs)}`).join('  ')}  (parse/prepare)`,
    );
  }
}
