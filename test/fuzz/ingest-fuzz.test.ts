// Generated and mutated hostile mail through everything ingest does without a database: prepare
// (parse → extract the reply → sanitise) and classify. Whatever arrives, the worker must either
// produce a message or refuse it with one of the limit codes it parks on (and then still read the
// envelope for the stub), quickly, with nothing executable in the HTML and nothing in a one-line
// field that could start a new header line when an agent replies.
import { createHash } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isAppError } from '../../src/errors.js';
import { type PreparedMessage, prepareMessage } from '../../src/ingest/prepare.js';
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import { parseEnvelopeOnly } from '../../src/ingest/stages/parse.js';
import { defaultIngestLimits, type ParsedMessage } from '../../src/ingest/types.js';
import { findProblems } from '../xss/html-problems.js';
import { fuzzParams, fuzzTimeout } from './fuzz-runs.js';
import { hostileMail, mimeTree, renderNode } from './mime-arbitraries.js';

/** The codes a message may be parked with for being what it is (pipeline.ts permanentCodes). */
const REFUSALS = new Set(['message_too_large', 'message_limit_exceeded']);
/**
 * Per message: security.md's parse+sanitise budget (5 s), far above a real message (a few ms, the
 * slowest generated ones ~100 ms at load 16) yet low enough that a super-linear path shows.
 */
const BUDGET_MS = 5_000;
const ctx = { ownAddresses: ['support@inlet.test'], isOwnMessageId: () => false };
// Subjects and display names may decode to line breaks (RFC 2047 `=0A`) and are kept as sent:
// the reply puts them on one line (src/lib/one-line.ts). Ids, addresses and file names must never
// hold a CR or LF; addresses and file names (shown, and used as names) not a NUL either. A NUL in a
// Message-ID is harmless garbage: it is sealed, and never repeated in a reply (usableMessageIds).
// eslint-disable-next-line no-control-regex -- NUL is one of the characters looked for
const NAME_BREAKS = /[\r\n\u0000]/;
const ID_BREAKS = /[\r\n]/;

function oneLineFields(p: ParsedMessage): [string, string, RegExp][] {
  const addrs = [p.from, p.sender, ...p.replyTo, ...p.to, ...p.cc].filter((a) => a !== null);
  return [
    ['message-id', p.messageId ?? '', ID_BREAKS],
    ...p.inReplyTo.map((v): [string, string, RegExp] => ['in-reply-to', v, ID_BREAKS]),
    ...p.references.map((v): [string, string, RegExp] => ['references', v, ID_BREAKS]),
    ...addrs.map((a): [string, string, RegExp] => ['address', a.address, NAME_BREAKS]),
    ...p.attachments.map((a): [string, string, RegExp] => ['filename', a.filename, NAME_BREAKS]),
  ];
}

/** Everything wrong with one prepared message, as readable strings (empty = fine). */
export function preparedProblems(raw: Buffer, m: PreparedMessage): string[] {
  const problems: string[] = [];
  if (m.html !== null) problems.push(...findProblems(m.html, '/v1/attachments/'));
  for (const [field, value, breaks] of oneLineFields(m.parsed))
    if (breaks.test(value))
      problems.push(`${field} holds a line break: ${JSON.stringify(value.slice(0, 80))}`);
  for (const a of m.attachments) {
    if (a.size !== a.content.length)
      problems.push(`attachment size ${a.size} ≠ ${a.content.length}`);
    if (createHash('sha256').update(a.content).digest('hex') !== a.sha256)
      problems.push('attachment sha256 does not match its content');
    if (/[/\\]/.test(a.filename)) problems.push(`filename is a path: ${a.filename.slice(0, 80)}`);
  }
  // Bare CR or LF line ends become CRLF before parsing, so an attached .eml may grow by them.
  const bound = raw.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n').length;
  const total = m.attachments.reduce((n, a) => n + a.size, 0);
  if (total > bound) problems.push(`attachments total ${total} bytes from a ${bound}-byte message`);
  return problems;
}

/** Runs one raw message the way the prepare worker does; returns what went wrong, if anything. */
async function ingestProblems(raw: Buffer): Promise<string[]> {
  const started = performance.now();
  let prepared: PreparedMessage;
  try {
    prepared = await prepareMessage(raw, defaultIngestLimits);
  } catch (err) {
    if (!isAppError(err) || !REFUSALS.has(err.code))
      return [`prepare threw ${isAppError(err) ? err.code : String(err)}`];
    const stub = parseEnvelopeOnly(
      raw,
      String((err.extra as { limit?: string })?.limit),
      defaultIngestLimits,
    );
    classifyMessage(stub, ctx);
    return oneLineFields(stub)
      .filter(([, v, breaks]) => breaks.test(v))
      .map(([f, v]) => `stub ${f} holds a line break: ${JSON.stringify(v.slice(0, 80))}`);
  }
  classifyMessage(prepared.parsed, ctx);
  const elapsed = performance.now() - started;
  const problems = preparedProblems(raw, prepared);
  if (elapsed > BUDGET_MS) problems.push(`took ${Math.round(elapsed)} ms`);
  return problems;
}

describe('ingest under generated hostile mail', () => {
  it(
    'prepares or refuses every message with a limit code, fast, with clean HTML and one-line headers',
    async () => {
      await fc.assert(
        fc.asyncProperty(hostileMail, async (raw) => {
          expect(await ingestProblems(raw)).toEqual([]);
        }),
        fuzzParams(150),
      );
    },
    fuzzTimeout(150, 200),
  );

  it(
    'refuses nesting and part floods with a limit code rather than crashing or stalling',
    async () => {
      const flood = fc.record({
        depth: fc.integer({ min: 0, max: 5_000 }),
        parts: fc.integer({ min: 0, max: 3_000 }),
        inner: mimeTree,
      });
      await fc.assert(
        fc.asyncProperty(flood, async ({ depth, parts, inner }) => {
          const open = Array.from(
            { length: depth },
            (_, i) => `Content-Type: multipart/mixed; boundary="d${i}"\r\n\r\n--d${i}\r\n`,
          ).join('');
          const many = Array.from(
            { length: parts },
            () => `--p\r\nContent-Type: text/plain\r\n\r\nx\r\n`,
          ).join('');
          const raw = Buffer.from(
            `From: a@example.com\r\nSubject: flood\r\nMIME-Version: 1.0\r\n${open}` +
              `Content-Type: multipart/mixed; boundary="p"\r\n\r\n${many}--p\r\n${renderNode(inner)}\r\n--p--\r\n`,
            'latin1',
          );
          expect(await ingestProblems(raw)).toEqual([]);
        }),
        fuzzParams(150, 0.2),
      );
    },
    fuzzTimeout(150, 400),
  );
});
