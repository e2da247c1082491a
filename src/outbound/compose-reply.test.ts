import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, test } from 'vitest';

import { isAppError } from '../errors.js';
import { parseMessage } from '../ingest/stages/parse.js';
import { composeReply, maxReferences, type ReplyDraft, threadHeaders } from './compose-reply.js';
import { checkStoredAddress, hasUnsafeHeaderChars, parseOneAddress } from './header-safety.js';

const draft = (over: Partial<ReplyDraft> = {}): ReplyDraft => ({
  from: { name: 'Acme Support', address: 'support@acme.example' },
  to: { name: 'Customer', address: 'customer@client.example' },
  cc: [],
  subject: 'Re: Help [#1001]',
  messageId: '<inlet.abc@acme.example>',
  inReplyTo: 'c1@client.example',
  references: ['root@client.example', 'c1@client.example'],
  date: new Date('2026-01-02T03:04:05Z'),
  text: 'Hello',
  html: null,
  attachments: [],
  ticketNumber: 1001,
  ...over,
});

const baseHeaders = [
  'auto-submitted',
  'content-transfer-encoding',
  'content-type',
  'date',
  'from',
  'in-reply-to',
  'message-id',
  'mime-version',
  'references',
  'subject',
  'to',
  'x-inlet-ticket',
];

describe('composeReply', () => {
  test('the produced MIME has exactly the intended header set', async () => {
    const raw = await composeReply(
      draft({ cc: [{ name: 'Boss', address: 'boss@client.example' }] }),
    );
    const parsed = await simpleParser(raw);
    expect([...parsed.headers.keys()].sort()).toEqual([...baseHeaders, 'cc'].sort());
    expect(parsed.references).toEqual(['<root@client.example>', '<c1@client.example>']);
  });

  // Security checklist item 35: any subject or display name, decoded, either composes into a message
  // whose headers are exactly ours (no Bcc, subject intact) or is refused as header_injection.
  test('no subject or display name can add a header', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ maxLength: 20 }),
        async (subject, name) => {
          const value = `${subject}\nBcc: victim@evil.example`;
          for (const d of [
            draft({ subject: value }),
            draft({ to: { name: value, address: 'customer@client.example' } }),
            draft({ subject: `Re: ${subject}`, from: { name, address: 'support@acme.example' } }),
          ]) {
            let raw: Buffer;
            try {
              raw = await composeReply(d);
            } catch (err) {
              expect(isAppError(err) && err.code === 'header_injection').toBe(true);
              continue;
            }
            const parsed = await simpleParser(raw);
            expect(
              hasUnsafeHeaderChars(d.subject) ||
                hasUnsafeHeaderChars(d.from.name) ||
                hasUnsafeHeaderChars(d.to.name),
            ).toBe(false);
            expect([...parsed.headers.keys()].sort()).toEqual(baseHeaders);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('answering a requester whose display name decodes to control characters', () => {
  test('the reply goes out with them dropped and no extra header, not refused', async () => {
    const inbound = await parseMessage(
      Buffer.from(
        'From: =?UTF-8?Q?Ann=01_Lee=00?= <ann@client.example>\r\n' +
          'To: support@acme.example\r\nSubject: Help\r\n\r\nThe printer is on fire.\r\n',
      ),
    );
    expect(inbound.from?.name).toBe('Ann\u0001 Lee\u0000');
    const to = checkStoredAddress(inbound.from!, 'requester');
    const parsed = await simpleParser(await composeReply(draft({ to })));
    expect([...parsed.headers.keys()].sort()).toEqual(baseHeaders);
    expect(parsed.to).toMatchObject({
      value: [{ name: 'Ann Lee', address: 'ann@client.example' }],
    });
  });
});

describe('threadHeaders', () => {
  test('answers the parent and keeps the root plus the latest ids', () => {
    const refs = Array.from({ length: 30 }, (_, i) => `m${i}@x.example`);
    const t = threadHeaders({ message_id: 'parent@x.example', in_reply_to: [], references: refs });
    expect(t.inReplyTo).toBe('parent@x.example');
    expect(t.references).toHaveLength(maxReferences);
    expect(t.references[0]).toBe('m0@x.example');
    expect(t.references.at(-1)).toBe('parent@x.example');
    expect(
      threadHeaders({ message_id: null, in_reply_to: ['a@x.example'], references: [] }),
    ).toEqual({ inReplyTo: null, references: ['a@x.example'] });
    expect(threadHeaders({ message_id: 'bad id>@x', in_reply_to: [], references: [] })).toEqual({
      inReplyTo: null,
      references: [],
    });
  });
});

describe('parseOneAddress', () => {
  test('one plain address, with or without a display name', () => {
    expect(parseOneAddress('Boss <Boss@Client.EXAMPLE>', 'cc')).toEqual({
      name: 'Boss',
      address: 'Boss@client.example',
    });
    expect(parseOneAddress('a.b+c@x.example', 'cc')).toEqual({
      name: '',
      address: 'a.b+c@x.example',
    });
    for (const bad of [
      '',
      'no-at',
      'a@localhost',
      'g: a@b.example;',
      '"x@y.example z"@evil.example',
      'a@b.example, c@d.example',
    ]) {
      expect(() => parseOneAddress(bad, 'cc'), bad).toThrow(
        expect.objectContaining({ code: 'validation_failed' }),
      );
    }
    for (const bad of [
      'a@b.example\r\nBcc: v@evil.example',
      'N\u2028 <a@b.example>',
      'a@b.example\u0000',
    ]) {
      expect(() => parseOneAddress(bad, 'cc'), bad).toThrow(
        expect.objectContaining({ code: 'header_injection' }),
      );
    }
  });
});
