// Corpus runner core: every message file in ../shared/corpus goes through parse → classify within a
// time budget; Zammad's expected fields and sisimai's bounce list are scored. Used by
// scripts/corpus.ts (prints the table), test/corpus/corpus.test.ts (asserts thresholds) and
// bench/parse-bench.ts (compares parser adapters). Add a pipeline stage with `stages`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { classifyMessage } from '../../src/ingest/stages/classify.js';
import type { ParserAdapter } from '../../src/ingest/stages/parse.js';
import { mailparserAdapter, parseWith } from '../../src/ingest/stages/parse.js';
import type { Classification, IngestLimits, ParsedMessage } from '../../src/ingest/types.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import type { FieldResult, ZammadField } from './zammad-expect.js';
import { compareWithZammad, loadZammadExpectation, zammadFields } from './zammad-expect.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TIME_BOUND_MS = 2000;
/** Heap growth allowed while one message is parsed and classified (garbage included, so an upper bound). */
export const HEAP_BOUND_MB = 256;

/** The corpus folder, or a one-line reason why it is not there. */
export function findCorpus(root = repoRoot): { dir: string } | { skip: string } {
  // INLET_CORPUS_DIR names it outright; otherwise the nearest shared/corpus beside the checkout or
  // beside one of its parents (a CI clone may sit a level deeper than the working copy).
  let dir = process.env.INLET_CORPUS_DIR
    ? path.resolve(process.env.INLET_CORPUS_DIR)
    : path.resolve(root, '../shared/corpus');
  for (
    let up = path.dirname(root);
    !process.env.INLET_CORPUS_DIR && !existsSync(dir) && up !== path.dirname(up);
    up = path.dirname(up)
  ) {
    const candidate = path.join(path.dirname(up), 'shared', 'corpus');
    if (existsSync(candidate)) dir = candidate;
  }
  return existsSync(dir)
    ? { dir }
    : {
        skip: `corpus not found at ${dir} (it is read from ../shared/corpus, never copied into the repo)`,
      };
}

export interface CorpusFile {
  set: string;
  rel: string;
  abs: string;
}

const MESSAGE_EXT = /\.(eml|box|msg|raw)$/i;

/** Raw messages in every folder: .eml/.box/.msg/.raw, plus MimeKit's messages, which end in .txt. */
export function listMessageFiles(dir: string): CorpusFile[] {
  const out: CorpusFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const abs = path.join(d, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else {
        const rel = path.relative(dir, abs);
        const set = rel.split(path.sep)[0]!;
        if (MESSAGE_EXT.test(name) || (set === 'mimekit' && name.endsWith('.txt')))
          out.push({ set, rel, abs });
      }
    }
  };
  walk(dir);
  return out;
}

export interface StageInput {
  file: CorpusFile;
  raw: Buffer;
  parsed: ParsedMessage;
  classification: Classification;
}
/** A later stage to run on every parsed message; return false (or throw) to count a failure. */
export interface CorpusStage {
  name: string;
  appliesTo?(file: CorpusFile): boolean;
  check(input: StageInput): boolean | Promise<boolean>;
}

export interface FileResult {
  file: CorpusFile;
  outcome: 'ok' | 'limit' | 'crash' | 'slow';
  ms: number;
  heapMB: number;
  error?: string;
  kind?: Classification['kind'];
}

export interface CorpusReport {
  parser: string;
  files: FileResult[];
  /** agree/total is the raw score; `divergent` counts reviewed Zammad divergences (adjusted = agree / (total - divergent)). */
  zammad: Record<
    ZammadField,
    { agree: number; total: number; divergent: number; misses: FieldResult[] }
  >;
  zammadFiles: number;
  sisimai: {
    bounces: number;
    asBounce: number;
    misses: string[];
    other: number;
    otherNotHuman: number;
    statusAgree: number;
    statusTotal: number;
    /** The same, leaving out sisimai's own codes (x.0.9xx), which no report writes. */
    rfcStatusAgree: number;
    rfcStatusTotal: number;
  };
  stages: Record<string, { pass: number; total: number; failures: string[] }>;
  totalMs: number;
  peakRssMB: number;
}

export interface RunOptions {
  dir: string;
  adapter?: ParserAdapter;
  limits?: IngestLimits;
  stages?: CorpusStage[];
  /** Restrict to some top-level folders (e.g. ['zammad']). */
  sets?: string[];
}

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};

function sisimaiExpectations(dir: string): Map<string, { reasons: string[]; statuses: string[] }> {
  const file = path.join(dir, 'sisimai/expected.json');
  const map = new Map<string, { reasons: string[]; statuses: string[] }>();
  if (!existsSync(file)) return map;
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<
    string,
    { expected?: { reason: string; deliverystatus: string }[] }
  >;
  for (const [key, v] of Object.entries(json)) {
    if (!v.expected) continue;
    map.set(path.join('sisimai', key), {
      reasons: v.expected.map((e) => e.reason),
      statuses: v.expected.map((e) => e.deliverystatus),
    });
  }
  return map;
}

export async function runCorpus(opts: RunOptions): Promise<CorpusReport> {
  const adapter = opts.adapter ?? mailparserAdapter;
  const limits = opts.limits ?? defaultIngestLimits;
  const files = listMessageFiles(opts.dir).filter((f) => !opts.sets || opts.sets.includes(f.set));
  const sisimai = sisimaiExpectations(opts.dir);
  const report: CorpusReport = {
    parser: adapter.name,
    files: [],
    zammad: Object.fromEntries(
      zammadFields.map((f) => [f, { agree: 0, total: 0, divergent: 0, misses: [] }]),
    ) as unknown as CorpusReport['zammad'],
    zammadFiles: 0,
    sisimai: {
      bounces: 0,
      asBounce: 0,
      misses: [],
      other: 0,
      otherNotHuman: 0,
      statusAgree: 0,
      statusTotal: 0,
      rfcStatusAgree: 0,
      rfcStatusTotal: 0,
    },
    stages: Object.fromEntries(
      (opts.stages ?? []).map((s) => [s.name, { pass: 0, total: 0, failures: [] }]),
    ),
    totalMs: 0,
    peakRssMB: 0,
  };
  const started = performance.now();
  for (const file of files) {
    const raw = readFileSync(file.abs);
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    let parsed: ParsedMessage | null = null;
    let classification: Classification | null = null;
    let outcome: FileResult['outcome'] = 'ok';
    let error: string | undefined;
    try {
      parsed = await parseWith(adapter, raw, limits);
      classification = classifyMessage(parsed, ctx);
    } catch (e) {
      const code = (e as { code?: string }).code;
      outcome =
        code === 'message_limit_exceeded' || code === 'message_too_large' ? 'limit' : 'crash';
      error = `${code ?? (e as Error).name}: ${(e as Error).message}`.slice(0, 200);
    }
    const ms = performance.now() - t0;
    const heapMB = (process.memoryUsage().heapUsed - heap0) / 1e6;
    if (outcome === 'ok' && ms > TIME_BOUND_MS) outcome = 'slow';
    report.files.push({
      file,
      outcome,
      ms,
      heapMB,
      ...(error ? { error } : {}),
      ...(classification ? { kind: classification.kind } : {}),
    });
    if (!parsed || !classification) continue;

    if (file.set === 'zammad' && file.rel.endsWith('.box')) {
      const yml = file.abs.replace(/\.box$/, '.yml');
      if (existsSync(yml)) {
        report.zammadFiles++;
        for (const r of compareWithZammad(
          loadZammadExpectation(yml),
          parsed,
          path.basename(file.rel),
        )) {
          const t = report.zammad[r.field];
          t.total++;
          if (r.ok) t.agree++;
          else if (r.divergence) t.divergent++;
          else t.misses.push({ ...r, expected: `${path.basename(file.rel)}: ${r.expected}` });
        }
      }
    }
    const exp = sisimai.get(file.rel);
    if (exp) {
      const autoOnly = exp.reasons.every((r) => r === 'vacation' || r === 'feedback');
      if (autoOnly) {
        report.sisimai.other++;
        if (classification.kind !== 'human') report.sisimai.otherNotHuman++;
      } else {
        report.sisimai.bounces++;
        if (classification.kind === 'bounce') report.sisimai.asBounce++;
        else report.sisimai.misses.push(`${path.basename(file.rel)} → ${classification.kind}`);
        const got = new Set(classification.bounce?.recipients.map((r) => r.status) ?? []);
        for (const st of exp.statuses) {
          if (!st) continue;
          report.sisimai.statusTotal++;
          if (got.has(st)) report.sisimai.statusAgree++;
          if (/^[45]\.0\.9\d\d$/.test(st)) continue;
          report.sisimai.rfcStatusTotal++;
          if (got.has(st)) report.sisimai.rfcStatusAgree++;
        }
      }
    }
    for (const stage of opts.stages ?? []) {
      if (stage.appliesTo && !stage.appliesTo(file)) continue;
      const t = report.stages[stage.name]!;
      t.total++;
      let ok: boolean;
      try {
        ok = await stage.check({ file, raw, parsed, classification });
      } catch {
        ok = false;
      }
      if (ok) t.pass++;
      else t.failures.push(file.rel);
    }
  }
  report.totalMs = performance.now() - started;
  report.peakRssMB = process.resourceUsage().maxRSS / 1024;
  return report;
}
