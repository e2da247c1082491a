// The whole corpus through the real pipeline (parse → classify → thread → reply → sanitise → scan →
// encrypt → store) on real PostgreSQL: every file ingests — stored, recognised as a duplicate, or
// parked with a stated reason — never a crash, each within a time bound.
import { readFile } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { type IngestFixture, makeIngestFixture } from '../helpers/ingest.js';
import { findCorpus, listMessageFiles } from './run-corpus.js';

const corpus = findCorpus();
if ('skip' in corpus) console.warn(`pipeline corpus test skipped: ${corpus.skip}`);

/** Per message, end to end with the database; generous because CI machines are shared. */
const PIPELINE_BOUND_MS = 5000;
const PEAK_RSS_BOUND_MB = 1536;

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

describe.skipIf('skip' in corpus)('shared corpus: full pipeline', () => {
  test('every message ingests without a crash, within bounds', async () => {
    const files = listMessageFiles((corpus as { dir: string }).dir);
    const outcomes: Record<string, number> = {};
    const problems: string[] = [];
    let slowest = 0;
    let peakRss = 0;
    const t0 = Date.now();
    for (const file of files) {
      const raw = await readFile(file.abs);
      const start = Date.now();
      try {
        const o = await f.ingest(raw, { providerMessageId: file.rel });
        const key = o.status === 'parked' ? `parked:${o.reason}` : o.status;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        if (o.status === 'parked' && o.reason !== 'message_limit_exceeded')
          problems.push(`${file.rel}: parked ${o.reason}`);
      } catch (err) {
        problems.push(`${file.rel}: ${(err as Error).message}`);
      }
      slowest = Math.max(slowest, Date.now() - start);
      peakRss = Math.max(peakRss, process.memoryUsage().rss / 2 ** 20);
    }
    const secs = (Date.now() - t0) / 1000;
    console.log(
      `pipeline corpus: ${files.length} messages in ${secs.toFixed(1)} s (${(files.length / secs).toFixed(0)} msg/s), slowest ${slowest} ms, peak RSS ${peakRss.toFixed(0)} MB, outcomes ${JSON.stringify(outcomes)}`,
    );
    expect(problems).toEqual([]);
    expect(files.length).toBeGreaterThan(900);
    expect(slowest).toBeLessThan(PIPELINE_BOUND_MS);
    expect(peakRss).toBeLessThan(PEAK_RSS_BOUND_MB);
    expect(outcomes.stored).toBeGreaterThan(800);
  }, 600_000);
});
