// Inputs built against the patterns the ReDoS audit (test/regex-audit/regex-audit.test.ts) flags as
// polynomial: each is the checker's attack (a repeated unit between a prefix and a suffix that
// makes the match fail late), put where mail puts it — one line of a reply, a line of a bounce
// report's text — and run at n and 4n characters through the real entry point. A growth factor
// near 4 is linear, near 16 quadratic. Fails on a factor over 8 (when the larger run takes over
// 50 ms) or a run over 2 s.
// `npm run bench -- hostile-regex`
import { pathToFileURL } from 'node:url';

import { prepareMessage } from '../src/ingest/prepare.js';
import { classifyMessage } from '../src/ingest/stages/classify.js';
import { extractReply } from '../src/ingest/stages/extract-reply.js';
import { scanMime } from '../src/ingest/stages/mime-scan.js';
import { defaultIngestLimits } from '../src/ingest/types.js';
import { bestOfThree as time, growthOf, type GrowthResult, reportGrowth } from './growth.js';

/** prefix + unit × k + suffix, k chosen so the whole is about `len` characters. */
interface Attack {
  prefix: string;
  unit: string;
  suffix: string;
}

const shapes: Record<string, Attack> = {
  'tabs-after-label': { prefix: 'To:', unit: '\t', suffix: '' },
  'spaces-after-from': { prefix: 'From:', unit: ' \t', suffix: '' },
  'at-signs': { prefix: '\t', unit: '@', suffix: '\n' },
  'tabs-then-at': { prefix: '', unit: '\t@', suffix: '\n' },
  'rule-then-tabs': { prefix: '**\t', unit: '\t\t', suffix: 'x' },
  'boundary-tabs': { prefix: '', unit: '\t', suffix: 'x' },
  'label-then-tabs': { prefix: '0:', unit: '\t', suffix: '\n' },
  'quote-tabs': { prefix: '>A\t', unit: '\t', suffix: '\tA' },
  'glued-on': { prefix: '', unit: 'l!\tle\t', suffix: '0\np' },
  'capital-on': { prefix: '', unit: 'E', suffix: '\tLe\t0000\nA' },
  'dated-at': { prefix: '00-0-0<0', unit: '@A', suffix: '\n' },
  'time-at-colon': { prefix: '0:00', unit: '0@:', suffix: '\n' },
  'via-name': { prefix: "A\tA\tA'", unit: "'A", suffix: '\tvia x wrote' },
  'sent-from': { prefix: 'sent с\t', unit: ' \t', suffix: '\n' },
  'device-from': { prefix: 'z\t', unit: '\t', suffix: 'n' },
  'han-verb': { prefix: '寫道\nた', unit: '\t', suffix: '寫' },
  'dashes-address': { prefix: '', unit: '-', suffix: '.\u0000-@-.-' },
  'slash-tabs': { prefix: '', unit: '\t', suffix: '\t\u0000\t/\t' },
  'spaces-slash': { prefix: 'a', unit: ' ', suffix: 'b / c' },
  'bang-run': { prefix: 'x ', unit: '!', suffix: '\u0000!' },
  'angle-at': { prefix: '<\u0000', unit: '@\u0000', suffix: '<\u0000@\u0000>' },
  'list-admin': { prefix: '-', unit: 't-admin+', suffix: '' },
  'rule-stars': { prefix: '***', unit: '***', suffix: '\u0000' },
  'quote-run': { prefix: '\u0000', unit: '"', suffix: '"\u0000' },
  'expanded-from': { prefix: '(EXPANDED FROMR', unit: '@G', suffix: '(EXPANDED FROMP@@)' },
  'addr-colon': { prefix: '\u0000', unit: '@:', suffix: '\t<' },
  'angle-colon': { prefix: '<:', unit: '@@', suffix: '' },
  'not-d': { prefix: '', unit: 'ENOT D', suffix: 'N' },
  'original-copy': { prefix: '-*-*x', unit: 'MCOPY OF THE ORIGIN*xC', suffix: 'B\n' },
};

const make = (a: Attack, len: number): string =>
  a.prefix +
  a.unit.repeat(Math.max(1, Math.ceil((len - a.prefix.length) / a.unit.length))) +
  a.suffix;

const classifyContext = { ownAddresses: ['support@inlet.test'], isOwnMessageId: () => false };
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

const targets: Record<string, (line: string) => Promise<unknown> | unknown> = {
  // The line alone, and the line over a quote (attribution rules look at lines above a quote).
  reply: (line) => extractReply(`Thanks.\n${line}\n> quoted\n`),
  // The line last, where sign-offs and closings are looked for.
  'reply-end': (line) => extractReply(`Hello there.\n\n${line}\n`),
  // A report from the null sender: classifying it runs the bounce rules over its text.
  bounce: (line) =>
    prepareMessage(
      Buffer.from(
        crlf(
          `Return-Path: <>\nFrom: MAILER-DAEMON@mx.example\nTo: a@b.example\nSubject: Undelivered Mail Returned to Sender\nContent-Type: text/plain; charset=utf-8\n\nThe following address failed:\n\n${line}\n\n--- Original message ---\n`,
        ),
      ),
      defaultIngestLimits,
    ).then(
      (m) => classifyMessage(m.parsed, classifyContext),
      () => null,
    ),
  // Lines that open like a boundary ("--" and the attack, cut to a line's 1000 characters), as
  // many as make up the length: the scanner tests every such line against the open boundaries.
  'boundary-lines': (line) => {
    const l = `--${line.slice(0, 997)}\r\n`;
    const body = l.repeat(Math.max(1, Math.round(line.length / l.length)));
    return scanMime(
      Buffer.from(
        `From: a@b.example\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\n${body}--b--\r\n`,
      ),
    );
  },
};

const BIG_RUN_BOUND_MS = 2000;

export async function runHostileRegexBench(
  n = 16_000,
  only?: string,
  onRow?: (r: GrowthResult) => void,
): Promise<GrowthResult[]> {
  const out: GrowthResult[] = [];
  for (const [shape, attack] of Object.entries(shapes)) {
    if (only && !shape.includes(only)) continue;
    for (const [target, fn] of Object.entries(targets)) {
      await fn(make(attack, 500)); // warm
      const smallMs = await time(() => fn(make(attack, n)));
      const bigMs = await time(() => fn(make(attack, 4 * n)));
      out.push(growthOf(shape, target, smallMs, bigMs));
      onRow?.(out[out.length - 1]!);
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.env.HOSTILE_N ?? 16_000);
  const only = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const rows = await runHostileRegexBench(n, only, (r) =>
    console.error(`${r.shape} ${r.target} ${r.smallMs.toFixed(1)} → ${r.bigMs.toFixed(1)} ms`),
  );
  console.log(
    `hostile regex: each attack at ${n / 1000}k and ${(4 * n) / 1000}k characters (growth ~4 linear, ~16 quadratic)`,
  );
  reportGrowth(rows, BIG_RUN_BOUND_MS);
}
