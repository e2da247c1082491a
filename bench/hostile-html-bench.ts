// Hostile HTML bodies: sanitising and HTML-to-text must stay linear in the body, because they run
// synchronously on the worker's main thread and one slow message stalls every mailbox on that
// worker (Zammad #2416: "the HTML sanitizer looped forever on one mail"). Each shape is a unit
// repeated to n and 4n characters (1 MB and 4 MB by default), timed through sanitizeEmailHtml, through
// htmlToText alone on the sanitised output (what prepare renders for a message without a text
// part) and through htmlToText on the raw body (the fallback for a refused body, and outbound replies).
// A growth factor near 4 is linear, near 16 quadratic. Fails on a factor over 8 (when the larger
// run takes over 50 ms) or a 4n run over 3 s. Also prints the deepest nesting in the corpus
// against MAX_HTML_DEPTH, the bound beyond which a body is refused rather than sanitised.
// `npm run bench -- hostile-html` (or `npx tsx bench/hostile-html-bench.ts [n]`)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

import { htmlNestingDepth, MAX_HTML_DEPTH } from '../src/ingest/stages/html-depth.js';
import { htmlToText } from '../src/ingest/stages/html-to-text.js';
import { parseMessage } from '../src/ingest/stages/parse.js';
import { sanitizeEmailHtml } from '../src/ingest/stages/sanitize-html.js';
import { defaultIngestLimits } from '../src/ingest/types.js';
import { findCorpus, listMessageFiles } from '../test/corpus/run-corpus.js';
import { growthOf, type GrowthResult, reportGrowth } from './growth.js';

interface Shape {
  unit: string;
  /** Written once before the repeated units (e.g. to sit at the deepest accepted level). */
  head?: string;
  /** Closing units, as many as the opening ones (a balanced nest). */
  close?: string;
}

/** Shapes that broke a stage once, or that sit right under a bound. */
export const shapes: Record<string, Shape> = {
  'nested-div': { unit: '<div>', close: '</div>' },
  'nested-table': { unit: '<table><tr><td>' },
  'unclosed-a': { unit: '<a href="http://x">' },
  blockquote: { unit: '<blockquote>' },
  'svg-in-div': { unit: '<div><svg></div>' },
  'stray-end-deep': { head: '<div>'.repeat(MAX_HTML_DEPTH - 1), unit: '</span>' },
  'open-close-deep': { head: '<div>'.repeat(MAX_HTML_DEPTH - 1), unit: '<b>x</b>' },
  'rejected-img': { unit: '<p>text<img src="javascript:x">' },
  lt: { unit: '<' },
  'lt-a': { unit: '<a' },
  'lt-a-at': { unit: '<a@b' },
  'lt-a-quote': { unit: '<a "' },
  'inline-line': { unit: '<b>x</b> ' },
  'quoted-lines': { head: '<blockquote>'.repeat(150), unit: 'x<br>' },
  'pre-blanks': { head: '<pre>x', unit: ' \t' },
  entities: { unit: '&lt;' },
};

const cidUrl = () => '/v1/attachments/x/content';

/** Each target: what to prepare outside the timing, and the timed call on it. */
export const targets: Record<
  string,
  { input: (html: string) => string; run: (input: string) => unknown }
> = {
  sanitise: { input: (html) => html, run: (html) => sanitizeEmailHtml(html, { cidUrl }) },
  'text(sanitised)': {
    input: (html) => sanitizeEmailHtml(html, { cidUrl }).html,
    run: (html) => htmlToText(html),
  },
  'text(raw)': { input: (html) => html, run: (html) => htmlToText(html) },
};

export function build(shape: Shape, chars: number): string {
  const head = shape.head ?? '';
  const per = shape.unit.length + (shape.close?.length ?? 0);
  const count = Math.max(1, Math.floor((chars - head.length) / per));
  return head + shape.unit.repeat(count) + 'x' + (shape.close ?? '').repeat(count);
}

function time(fn: () => unknown, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

export const BIG_RUN_BOUND_MS = 3000;

export function runHostileHtmlBench(n = 1_000_000): GrowthResult[] {
  const out: GrowthResult[] = [];
  for (const [shape, def] of Object.entries(shapes)) {
    const small = build(def, n);
    const big = build(def, 4 * n);
    for (const [target, { input, run }] of Object.entries(targets)) {
      run(input(build(def, 10_000))); // warm
      const smallIn = input(small);
      const bigIn = input(big);
      // Best of two for the small run (a collection landing in one run is noise, not growth).
      const smallMs = time(() => run(smallIn), 2);
      const bigMs = time(() => run(bigIn), 1);
      out.push(growthOf(shape, target, smallMs, bigMs));
    }
  }
  return out;
}

/** Deepest nesting of any corpus HTML body, or null without the corpus. */
export async function corpusMaxDepth(): Promise<{ bodies: number; max: number } | null> {
  const corpus = findCorpus();
  if ('skip' in corpus) return null;
  let bodies = 0;
  let max = 0;
  for (const f of listMessageFiles(corpus.dir)) {
    const parsed = await parseMessage(readFileSync(f.abs), defaultIngestLimits).catch(() => null);
    if (!parsed?.html) continue;
    bodies++;
    max = Math.max(max, htmlNestingDepth(parsed.html));
  }
  return { bodies, max };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 1_000_000);
  const depth = await corpusMaxDepth();
  console.log(
    depth === null
      ? 'corpus not found: deepest real nesting not measured'
      : `corpus: deepest nesting ${depth.max} over ${depth.bodies} HTML bodies; bodies deeper than ${MAX_HTML_DEPTH} are refused`,
  );
  const rows = runHostileHtmlBench(n);
  console.log(
    `hostile html: each shape at ${n / 1e6} MB and ${(4 * n) / 1e6} MB (growth ~4 linear, ~16 quadratic; bound ${BIG_RUN_BOUND_MS} ms at ${(4 * n) / 1e6} MB)`,
  );
  reportGrowth(rows, BIG_RUN_BOUND_MS);
}
