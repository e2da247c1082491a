// Reproductions of inputs the ingest fuzz test (test/fuzz/ingest-fuzz.test.ts) found crashing
// the prepare stage; each crash parked a message a person had sent instead of ticketing it.
import { describe, expect, it } from 'vitest';

import { prepareMessage } from '../prepare.js';
import { defaultIngestLimits } from '../types.js';

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
