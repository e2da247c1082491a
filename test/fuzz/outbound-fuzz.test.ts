// Header injection through everything that reaches an agent's reply: what the agent sends (cc,
// attachment names and types, text, HTML) and what the customer's mail put in the ticket (sender
// name and address, subject, Message-ID and References, read by the real ingest parser). Either the
// agent's request is refused with a 4xx code, or the composed message, parsed again, has exactly
// the intended header lines and recipients: never a new header, never an extra recipient. What the
// customer wrote never makes the ticket unanswerable.
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';

import { errorCodes, isAppError } from '../../src/errors.js';
import { parseEnvelopeOnly, parseMessage } from '../../src/ingest/stages/parse.js';
import { composeReply, threadHeaders } from '../../src/outbound/compose-reply.js';
import { checkStoredAddress, isPlainAddress } from '../../src/outbound/header-safety.js';
import {
  readReplyRequest,
  type ReplyInput,
  type ReplyRequest,
} from '../../src/outbound/reply-input.js';
import { replySubject } from '../../src/tickets/ticket-token.js';
import { fuzzParams, fuzzTimeout } from './fuzz-runs.js';
import { headerValue } from './mime-vocabulary.js';

const injected = fc.oneof(
  headerValue,
  fc.constantFrom(
    'a@b.example\r\nBcc: victim@evil.example',
    'a@b.example\nBcc: victim@evil.example',
    'a@b.example\rBcc: victim@evil.example',
    'Boss <boss@client.example>',
    'boss@client.example',
    '"x\r\nBcc: v@evil.example" <a@b.example>',
    '=?UTF-8?Q?x=0D=0ABcc:_v@evil.example?= <a@b.example>',
    'a@b.example, victim@evil.example',
    '"victim@corp.example x"@evil.example',
    'report.pdf',
    'application/pdf',
    'text/html\r\nX-Evil: 1',
    'a\u2028b',
  ),
);

const agentRequest: fc.Arbitrary<ReplyRequest> = fc.record(
  {
    text: fc.oneof(
      fc.string(),
      fc.constantFrom('Hi\r\n.\r\nBcc: v@evil.example\r\n', '\r\n\r\nX: y'),
    ),
    html: fc.constantFrom('<p>Hello</p>', '<p>a</p>\r\nBcc: v@evil.example'),
    cc: fc.array(injected, { maxLength: 3 }),
    attachments: fc.array(
      fc.record({
        filename: injected,
        content_type: injected,
        content_base64: fc.constantFrom('', 'aGVsbG8=', 'QmNjOiB2QGV2aWwuZXhhbXBsZQ=='),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

// Mostly a display name (hostile) before a plain address, so most tickets can be answered at all.
const sender = fc.oneof(
  headerValue,
  fc
    .tuple(headerValue, fc.constantFrom('ann@client.example', 'Bob.Lee@Client.Example'))
    .map(([name, address]) => `${name.replace(/[\r\n]/g, '')} <${address}>`),
  fc
    .tuple(headerValue, fc.constantFrom('ann@client.example'))
    .map(([name, address]) => `"${name.replace(/[\r\n"\\]/g, '')}" <${address}>`),
);

const inboundMail = fc
  .record({ from: sender, subject: headerValue, messageId: headerValue, references: headerValue })
  .map(({ from, subject, messageId, references }) =>
    Buffer.from(
      `From: ${from}\r\nTo: support@acme.example\r\nSubject: ${subject}\r\n` +
        `Message-ID: ${messageId}\r\nReferences: ${references}\r\n\r\nHelp!\r\n`,
      'utf8',
    ),
  );

/** What the composed message must say, and nothing more. */
function expectExactly(
  parsed: Awaited<ReturnType<typeof simpleParser>>,
  want: { subject: string; to: string; input: ReplyInput },
): void {
  const keys = [...parsed.headers.keys()].sort();
  const base = ['auto-submitted', 'content-type', 'date', 'from', 'message-id', 'mime-version'];
  const optional = ['cc', 'content-transfer-encoding', 'in-reply-to', 'references'];
  expect(keys.filter((k) => !base.includes(k) && !optional.includes(k))).toEqual([
    'subject',
    'to',
    'x-inlet-ticket',
  ]);
  expect(parsed.subject).toBe(want.subject);
  const addresses = (v: typeof parsed.to) =>
    (Array.isArray(v) ? v : v ? [v] : []).flatMap((o) => o.value.map((a) => a.address));
  expect(addresses(parsed.to)).toEqual([want.to]);
  expect(addresses(parsed.cc)).toEqual(want.input.cc.map((c) => c.address));
  expect(parsed.bcc).toBeUndefined();
  expect(parsed.attachments.map((a) => a.filename)).toEqual(
    want.input.attachments.map((a) => a.filename),
  );
}

describe('an agent reply under hostile inbound mail and hostile request fields', () => {
  it(
    'is refused with a 4xx code or carries exactly the intended headers and recipients',
    async () => {
      await fc.assert(
        fc.asyncProperty(inboundMail, agentRequest, async (inbound, request) => {
          // A message over a limit becomes a stub ticket from its envelope, answerable like any.
          const parent = await parseMessage(inbound).catch((err: unknown) => {
            if (isAppError(err) && err.code === 'message_limit_exceeded')
              return parseEnvelopeOnly(inbound, 'headers');
            throw err;
          });
          // A ticket whose sender has no plain address is refused before anything is composed.
          if (!parent.from || !isPlainAddress(parent.from.address)) return;
          // The customer's text never makes the ticket unanswerable: this must not throw.
          const to = checkStoredAddress(parent.from, 'requester');
          let input: ReplyInput;
          try {
            input = readReplyRequest(request);
          } catch (err) {
            expect(isAppError(err) && err.status >= 400 && err.status < 500).toBe(true);
            expect(isAppError(err) && errorCodes[err.code] === err.status).toBe(true);
            return;
          }
          const subject = replySubject(parent.subject, 1001);
          const thread = threadHeaders({
            message_id: parent.messageId,
            in_reply_to: parent.inReplyTo,
            references: parent.references,
          });
          const raw = await composeReply({
            from: { name: 'Acme Support', address: 'support@acme.example' },
            to,
            cc: input.cc,
            subject,
            messageId: '<inlet.fuzz@acme.example>',
            ...thread,
            date: new Date('2026-01-02T03:04:05Z'),
            text: input.text ?? 'x',
            html: input.html,
            attachments: input.attachments,
            ticketNumber: 1001,
          });
          expectExactly(await simpleParser(raw), { subject, to: to.address, input });
        }),
        fuzzParams(300),
      );
    },
    fuzzTimeout(300, 100),
  );
});
