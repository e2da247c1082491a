import { randomBytes } from 'node:crypto';

import { simpleParser } from 'mailparser';
import { describe, expect, test } from 'vitest';

import { composeReply } from '../../outbound/compose-reply.js';
import { splitForLimit } from './mime-split.js';

const draft = (attachments: { filename: string; contentType: string; content: Buffer }[]) =>
  composeReply({
    from: { name: 'Acme', address: 'support@acme.example' },
    to: { name: 'C', address: 'c@client.example' },
    cc: [],
    subject: 'Re: big [#7]',
    messageId: '<inlet.abc@acme.example>',
    inReplyTo: 'q@client.example',
    references: ['root@client.example', 'q@client.example'],
    date: new Date(),
    text: 'See attached.',
    html: null,
    attachments,
    ticketNumber: 7,
  });

describe('splitForLimit', () => {
  test('takes the largest attachments out, keeps headers and the rest byte for byte', async () => {
    const big = randomBytes(3_500_000);
    const small = randomBytes(1000);
    const mime = await draft([
      { filename: 'small.bin', contentType: 'application/octet-stream', content: small },
      { filename: 'big.pdf', contentType: 'application/pdf', content: big },
    ]);
    const split = splitForLimit(mime, 4 * 1024 * 1024 - 65536)!;
    expect(split.removed.map((r) => r.name)).toEqual(['big.pdf']);
    expect(split.removed[0]!.content.equals(big)).toBe(true);
    expect(split.removed[0]!.contentType).toBe('application/pdf');
    const headEnd = mime.indexOf('\r\n\r\n');
    expect(split.mime.subarray(0, headEnd).equals(mime.subarray(0, headEnd))).toBe(true);
    const parsed = await simpleParser(split.mime);
    expect(parsed.messageId).toBe('<inlet.abc@acme.example>');
    expect(parsed.inReplyTo).toBe('<q@client.example>');
    expect(parsed.text?.trim()).toBe('See attached.');
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['small.bin']);
    expect(parsed.attachments[0]!.content.equals(small)).toBe(true);
  });

  test('a message that fits is left whole; one that cannot be made to fit is refused', async () => {
    const mime = await draft([
      { filename: 'a.bin', contentType: 'application/octet-stream', content: randomBytes(100) },
    ]);
    expect(splitForLimit(mime, 10 * 1024 * 1024)!.removed).toEqual([]);
    expect(splitForLimit(mime, 100)).toBeNull();
  });
});
