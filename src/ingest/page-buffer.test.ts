import { describe, expect, test } from 'vitest';

import { PageBuffer } from './page-buffer.js';
import type { IngestInput, IngestOutcome, PageOptions } from './pipeline.js';

const input = (n: number, bytes = 10): IngestInput => ({
  tenantId: 't',
  mailboxId: 'm',
  providerMessageId: `p${n}`,
  raw: Buffer.alloc(bytes),
});

/** A pipeline that records when each page starts and when it "commits" (after its `after`). */
function fakePipeline(opts: { failPage?: number } = {}) {
  const log: string[] = [];
  const pages: string[][] = [];
  let n = 0;
  return {
    log,
    pages,
    async ingestPage(inputs: IngestInput[], o: PageOptions = {}): Promise<IngestOutcome[]> {
      if (inputs.length === 0) {
        await o.after;
        await o.tail?.write(null as never, []);
        return [];
      }
      const page = n++;
      pages.push(inputs.map((i) => i.providerMessageId));
      log.push(`prepare ${page}`);
      await new Promise((r) => setTimeout(r, page === 0 ? 30 : 1)); // the first page is slow to store
      await o.after;
      if (page === opts.failPage) throw new Error(`page ${page} failed`);
      const outcomes = inputs.map((): IngestOutcome => ({ status: 'duplicate', messageId: null }));
      await o.tail?.write(null as never, []); // in the page's transaction
      log.push(`commit ${page}`);
      return outcomes;
    },
  };
}

describe('PageBuffer', () => {
  test('cuts pages by count and by bytes, keeps order, and returns every message once', async () => {
    const p = fakePipeline();
    const buffer = new PageBuffer(p, { maxMessages: 3, maxBytes: 100 });
    const seen: string[] = [];
    for (let i = 0; i < 7; i++)
      seen.push(
        ...(await buffer.add(input(i, i === 4 ? 95 : 10))).map((s) => s.input.providerMessageId),
      );
    seen.push(...(await buffer.flush()).map((s) => s.input.providerMessageId));
    expect(p.pages).toEqual([['p0', 'p1', 'p2'], ['p3'], ['p4'], ['p5', 'p6']]);
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  test('prepares the next page while one is stored, but commits strictly in order', async () => {
    const p = fakePipeline();
    const buffer = new PageBuffer(p, { maxMessages: 2, maxBytes: 1000 });
    for (let i = 0; i < 4; i++) await buffer.add(input(i));
    await buffer.flush();
    // Page 1 started before page 0 committed (overlap), yet committed after it.
    expect(p.log.indexOf('prepare 1')).toBeLessThan(p.log.indexOf('commit 0'));
    expect(p.log.filter((l) => l.startsWith('commit'))).toEqual(['commit 0', 'commit 1']);
  });

  test('a failed page fails the sync, and the page after it commits nothing', async () => {
    const p = fakePipeline({ failPage: 0 });
    const buffer = new PageBuffer(p, { maxMessages: 2, maxBytes: 1000 });
    await buffer.add(input(0));
    await buffer.add(input(1)); // page 0 handed over
    await buffer.add(input(2));
    await expect(buffer.add(input(3))).rejects.toThrow('page 0 failed');
    await new Promise((r) => setTimeout(r, 40));
    expect(p.log).not.toContain('commit 1');
  });

  test('a step is written with the page collected before it, or alone after the pages before it, and never blocks the caller', async () => {
    const p = fakePipeline();
    const buffer = new PageBuffer(p, { maxMessages: 10, maxBytes: 1000 });
    await buffer.add(input(0));
    await buffer.add(input(1));
    let returned = false;
    const tail = (name: string) => ({
      tenantId: 't',
      write: async () => {
        p.log.push(name);
      },
    });
    const stepped = buffer.step(tail('step with page 0'));
    void stepped.then(() => (returned = true));
    await new Promise((r) => setTimeout(r, 5));
    // Page 0 (slow) is still being stored, yet step() has already returned: the caller lists on.
    expect(returned).toBe(true);
    expect(p.log).not.toContain('commit 0');
    // Nothing collected since: this step is written alone, after page 0 and before page 1.
    const alone = buffer.step(tail('step alone'));
    await buffer.add(input(2));
    const all = [...(await stepped), ...(await alone), ...(await buffer.flush())];
    expect(p.log.filter((l) => !l.startsWith('prepare'))).toEqual([
      'step with page 0',
      'commit 0',
      'step alone',
      'commit 1',
    ]);
    expect(all.map((s) => s.input.providerMessageId)).toEqual(['p0', 'p1', 'p2']);
  });
});
