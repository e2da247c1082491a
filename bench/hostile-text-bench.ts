// Hostile plain text and headers: every stage must stay linear in its input, because a message is
// parsed synchronously on the worker's main thread and one slow message stalls every mailbox on
// that worker. Each shape runs at n and 4n characters through reply extraction (on the 128 KB
// window prepare gives it) and through the whole prepare step as a header or a text body; a growth
// factor near 4 is linear, near 16 quadratic. Fails on a factor over 8 (when
// the larger run takes over 50 ms) or a run over 2 s.
// `npm run bench -- hostile-text`
import { pathToFileURL } from 'node:url';

import { prepareMessage } from '../src/ingest/prepare.js';
import { extractReply } from '../src/ingest/stages/extract-reply.js';
import { defaultIngestLimits } from '../src/ingest/types.js';
import { bestOfThree as time, growthOf, type GrowthResult, reportGrowth } from './growth.js';

/** Repeated units that broke a stage once (a pattern rescanning from every bracket, quote or delimiter line). */
const shapes: Record<string, string> = {
  lt: '<',
  paren: '(',
  'lt-slash': '</',
  'dash-lines': '--\n',
  'quote-lines': '> \n',
  'escaped-quote': '\\"',
  at: 'a@',
  attribution: 'On Mon, 1 Jan 2024 at 10:00, a@b.example wrote:\n',
  'header-lines': 'From: a@b.example\nSent: Monday\nTo: c@d.example\nSubject: x\n',
  'one-line-header': 'From: a Sent: b To: c Subject: d ',
  banner: 'CAUTION: external email ',
  'dated-address': '2013/11/1 a <b@c> ',
  // Round 5 of issue #16: fences hoisted (one scan per fence once found quadratic), initials
  // quotes, GroupWise headers, PGP armour lines.
  fences: '```\n',
  'initials-quote': 'JD> x\n',
  groupwise: '>>> a 1 >>>\n',
  'pgp-armor': '-----BEGIN PGP SIGNED MESSAGE-----\n- x\n',
};

const fold = (s: string) => s.replace(/\n/g, ' ').replace(/(.{900})/g, '$1\r\n ');
const asText = (s: string) => s.replace(/\n/g, '\r\n').replace(/([^\r\n]{990})/g, '$1\r\n');

const targets: Record<string, (s: string) => Promise<unknown> | unknown> = {
  reply: (s) => extractReply(s),
  from: (s) =>
    prepareMessage(
      Buffer.from(`From: ${fold(s)}\r\nTo: c@d.example\r\nSubject: s\r\n\r\nbody\r\n`),
      defaultIngestLimits,
    ).catch(() => null),
  to: (s) =>
    prepareMessage(
      Buffer.from(`From: a@b.example\r\nTo: ${fold(s)}\r\nSubject: s\r\n\r\nbody\r\n`),
      defaultIngestLimits,
    ).catch(() => null),
  subject: (s) =>
    prepareMessage(
      Buffer.from(`From: a@b.example\r\nSubject: ${fold(s)}\r\n\r\nbody\r\n`),
      defaultIngestLimits,
    ).catch(() => null),
  references: (s) =>
    prepareMessage(
      Buffer.from(`From: a@b.example\r\nReferences: ${fold(s)}\r\nSubject: s\r\n\r\nbody\r\n`),
      defaultIngestLimits,
    ).catch(() => null),
  'text-body': (s) =>
    prepareMessage(
      Buffer.from(
        `From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${asText(s)}\r\n`,
      ),
      defaultIngestLimits,
    ).catch(() => null),
};

const BIG_RUN_BOUND_MS = 2000;

export async function runHostileTextBench(n = 32_000): Promise<GrowthResult[]> {
  const out: GrowthResult[] = [];
  for (const [shape, unit] of Object.entries(shapes)) {
    for (const [target, fn] of Object.entries(targets)) {
      const make = (len: number) => unit.repeat(Math.ceil(len / unit.length)).slice(0, len);
      await fn(make(1000)); // warm
      const smallMs = await time(() => fn(make(n)));
      const bigMs = await time(() => fn(make(4 * n)));
      out.push(growthOf(shape, target, smallMs, bigMs));
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = 32_000;
  const rows = await runHostileTextBench(n);
  console.log(
    `hostile text: each shape at ${n / 1000}k and ${(4 * n) / 1000}k characters (growth ~4 linear, ~16 quadratic)`,
  );
  reportGrowth(rows, BIG_RUN_BOUND_MS);
}
