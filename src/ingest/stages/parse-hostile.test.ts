// Reproductions of inputs the ingest fuzz test (test/fuzz/ingest-fuzz.test.ts) found crashing
// the prepare stage; each crash parked a message a person had sent instead of ticketing it.
import { describe, expect, it } from 'vitest';

import { prepareMessage } from '../prepare.js';
import { defaultIngestLimits } from '../types.js';
import { parseEnvelopeOnly } from './parse.js';

const mail = (part: string) =>
  Buffer.from(
    'From: Ann <ann@example.com>\r\nSubject: Invoice\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="p"\r\n\r\n' +
      `--p\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--p\r\n${part}\r\n--p--\r\n`,
  );

describe('a part with an empty Content-Type header', () => {
  it('is kept as an opaque attachment instead of failing the message', async () => {
    const m = await prepareMessage(
      mail('Content-Type: \r\nContent-Disposition: attachment\r\n\r\nhello'),
      defaultIngestLimits,
    );
    expect(m.text).toBe('See attached.');
    expect(m.attachments.map((a) => [a.declaredType, a.content.toString()])).toEqual([
      ['application/octet-stream', 'hello'],
    ]);
  });
});

const folds = (n: number) =>
  Buffer.from(`\0From: w${'\r\n w'.repeat(n)}\r\nTo: a@example.com\r\nSubject: x\r\n\r\nhi\r\n`);

describe('a header block of thousands of lines that are no field', () => {
  it('is read in linear time (each line used to look 200 lines ahead again)', async () => {
    // A stray byte before the first field makes every folded line below it "no field". Compared with
    // the same block without the stray byte, in this run, so the check holds on a loaded machine:
    // 15,000 such lines took ~40x as long as the clean block before the fix, about as long after.
    const hostile = folds(15_000);
    const clean = hostile.subarray(1);
    await prepareMessage(folds(1_000), defaultIngestLimits);
    const best = { hostile: Infinity, clean: Infinity };
    let subject: string | undefined;
    for (let i = 0; i < 3; i++) {
      for (const [name, raw] of [
        ['clean', clean],
        ['hostile', hostile],
      ] as const) {
        const started = performance.now();
        const m = await prepareMessage(raw, defaultIngestLimits);
        best[name] = Math.min(best[name], performance.now() - started);
        if (name === 'hostile') subject = m.parsed.subject;
      }
    }
    expect(best.hostile).toBeLessThan(best.clean * 8 + 20);
    expect(subject).toBe('x');
  });
});

describe('a header block of more lines than mailparser reads', () => {
  it('is refused with the header limit (parked with a stub), not an unexpected parser error', async () => {
    await expect(prepareMessage(folds(20_000), defaultIngestLimits)).rejects.toMatchObject({
      code: 'message_limit_exceeded',
      extra: { limit: 'headers' },
    });
  });
});

describe('address headers built for deep recursion or backtracking (security.md bad input 12)', () => {
  it.each([
    ['open comments', `${'('.repeat(100_000)}a@b.example`],
    ['nested comments', `${'('.repeat(50_000)}x${')'.repeat(50_000)} a@b.example`],
    ['quotes', `${'"'.repeat(100_000)} <a@b.example>`],
    ['angle brackets', `${'<'.repeat(100_000)}a@b.example>`],
    ['groups', `${'g:'.repeat(50_000)}a@b.example;`],
  ])('%s: parsed in bounded time and the message kept', async (_what, value) => {
    const raw = Buffer.from(
      `From: ${value}\r\nTo: ${value}\r\nCc: ${value}\r\nSubject: Bounded\r\n\r\nhi\r\n`,
    );
    const started = performance.now();
    const m = await prepareMessage(raw, defaultIngestLimits);
    // About 100-300 ms at load 16 on 2 cores; a super-linear parser would take minutes.
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(m.parsed.subject).toBe('Bounded');
    expect(m.text?.trim()).toBe('hi');
  });
});

describe('the envelope stub of a refused message with bare CR line ends', () => {
  it('reads its From, To and Subject as separate fields', () => {
    const raw = Buffer.from(
      'From: Ann <ann@example.com>\rTo: support@acme.example\rSubject: Old Mac mail\r\rhi\r',
    );
    const stub = parseEnvelopeOnly(raw, 'headers');
    expect(stub.from).toEqual({ name: 'Ann', address: 'ann@example.com' });
    expect(stub.subject).toBe('Old Mac mail');
    expect(stub.warnings).toContain('limit_exceeded:headers');
  });
});

describe('the envelope stub of a refused message with NULs in its address fields', () => {
  it('drops them, as the full parse does, instead of storing a NUL as the requester', () => {
    const stub = parseEnvelopeOnly(
      Buffer.from('From: \0\r\nTo: ann\0@example.com\r\nSubject: x\r\n\r\nhi\r\n'),
      'headers',
    );
    expect(stub.from).toBeNull();
    expect(stub.warnings).toContain('from_missing');
  });

  it('makes a stray CR inside a field a space, so the requester address holds no line break', () => {
    const stub = parseEnvelopeOnly(
      Buffer.from('From: ann@example.com\rBcc: x\r\nSubject: x\r\n\r\nhi\r\n'),
      'headers',
    );
    expect(stub.from?.address).toMatch(/^ann@example\.com /);
    expect(stub.from?.address).not.toMatch(/[\r\n]/);
  });
});
