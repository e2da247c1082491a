// The corpus gate: every real message in ../shared/corpus parses and classifies without a crash,
// within the time and memory bounds, with Zammad field agreement and sisimai bounce detection at
// their thresholds. `npm run corpus` prints the same figures as a table.
import { beforeAll, describe, expect, it } from 'vitest';

import { adjustedRatio, formatReport } from './corpus-report.js';
import type { CorpusReport } from './run-corpus.js';
import { findCorpus, HEAP_BOUND_MB, runCorpus, TIME_BOUND_MS } from './run-corpus.js';
import { zammadFields } from './zammad-expect.js';

const corpus = findCorpus();
if ('skip' in corpus) console.warn(`corpus tests skipped: ${corpus.skip}`);

// Whole-run RSS ceiling: node + vitest + the largest corpus message (3 MB) parsed in memory.
const PEAK_RSS_BOUND_MB = 1024;

describe.skipIf('skip' in corpus)('shared corpus: parse + classify', () => {
  let report: CorpusReport;
  beforeAll(async () => {
    if ('dir' in corpus) report = await runCorpus({ dir: corpus.dir });
    console.log(formatReport(report));
  }, 300_000);

  it('parses and classifies every message without a crash, within the time and memory bounds', () => {
    expect(report.files.length).toBeGreaterThan(900);
    const failures = report.files
      .filter((f) => f.outcome === 'crash' || f.outcome === 'slow')
      .map((f) => `${f.file.rel}: ${f.outcome} ${f.error ?? ''}`);
    expect(failures).toEqual([]);
    expect(Math.max(...report.files.map((f) => f.ms))).toBeLessThan(TIME_BOUND_MS);
    expect(Math.max(...report.files.map((f) => f.heapMB))).toBeLessThan(HEAP_BOUND_MB);
    expect(report.peakRssMB).toBeLessThan(PEAK_RSS_BOUND_MB);
  });

  it('refuses by limit only the deliberate MIME bombs', () => {
    const limited = report.files.filter((f) => f.outcome === 'limit').map((f) => f.file.rel);
    expect(limited).toEqual(['mailgun_flanker/tests/fixtures/messages/enclosed-endless.eml']);
  });

  it('agrees with Zammad on every header and attachment field (≥ 95%, reviewed divergences aside)', () => {
    expect(report.zammadFiles).toBe(106);
    for (const f of zammadFields) {
      expect({ field: f, ratio: adjustedRatio(report.zammad[f]) >= 0.95 }).toEqual({
        field: f,
        ratio: true,
      });
    }
  });

  it('classifies the sisimai bounces as bounces (≥ 98%)', () => {
    expect(report.sisimai.bounces).toBeGreaterThan(450);
    expect(report.sisimai.asBounce / report.sisimai.bounces).toBeGreaterThanOrEqual(0.98);
  });

  it('classifies the Zammad bounces and DSNs as bounces', () => {
    const bounces = [
      'mail018.box',
      'mail033-undelivered-mail-returned-to-sender.box',
      'mail052.box',
      'mail053.box',
      'mail055.box',
      'mail063.box',
      'mail078.box',
      'mail092.box',
    ];
    const kinds = report.files
      .filter((f) => f.file.set === 'zammad' && bounces.some((b) => f.file.rel.endsWith(`/${b}`)))
      .map((f) => f.kind);
    expect(kinds).toEqual(bounces.map(() => 'bounce'));
  });
});
