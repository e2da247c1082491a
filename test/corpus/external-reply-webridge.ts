// Two more reply sets of round 4 (issue #16), split before any case was read
// (/work/heldout-data/w40/SPLITS.md):
// - web-ridge/email-reply-parser (Go): TestAllKindOfCombinations builds every mail from a body
//   (dataset/basemail), a signature (dataset/signatures) and a quoted reply (dataset/quoted_reply),
//   once with the quote under the signature and once above the body, and expects the body back.
//   Each of the three folders is sorted and halved; the tune set is the combinations of three tune
//   halves, the held-out set those of three held-out halves. Its named tests (`Parse(xMail)` against
//   `expected := "…"`) are sorted by name and halved.
// - fiedl/extended_email_reply_parser (Ruby, German mail): rspec `include` / `not_to include` on
//   what it parses from email_de_1…9; .eml fixtures go through Inlet's pipeline (prepareMessage).
//   Assertions on markup (its HTML output) are that project's format and are not read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { htmlToText } from '../../src/ingest/stages/html-to-text.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { quoteBlocks, replyDivergence } from './external-reply-ports.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';

// Reviewed divergence: the project removes a closing and the sender's name with the signature.
const CLOSING_KEPT =
  "the project removes the closing and the sender's name with the signature; Inlet keeps them in the reply (issue #16: they are the person's text)";
const QUOTE_LEFT =
  "the project keeps the '>' quote an answer below it answers, with its attribution; Inlet keeps the person's lines around it (issue #16, round 2: answers below a quote)";
const NAME = /^[-/~*]?\s*\p{Lu}[\p{L}.'-]*(?:\s+\p{L}[\p{L}.'-]*){0,3}\*?[,.]?$/u;

/** `got` is the body plus the first (at most three) lines of the signature, ending in a name. */
function closingKept(got: string, body: string, signature: string): boolean {
  if (!got.startsWith(body)) return false;
  const rest = got.slice(body.length).trim();
  const lines = signature
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  for (let k = 1; k <= Math.min(3, lines.length); k++)
    if (ws(lines.slice(0, k).join(' ')) === rest) return NAME.test(lines[k - 1]!);
  return false;
}

/**
 * The role's half of a folder. A held-out file with the same text as a tune file of that folder
 * (quoted_reply/dutch.txt is other_break.txt) is left out: it is not unseen.
 */
function files(dir: string, role: Role): string[] {
  if (!existsSync(dir)) return [];
  const all = readdirSync(dir)
    .filter((n) => n.endsWith('.txt'))
    .sort();
  const text = (n: string) => readFileSync(path.join(dir, n), 'utf8');
  const tuned = new Set(half(all, 'tune').map(text));
  return half(all, role).filter((n) => role === 'tune' || !tuned.has(text(n)));
}

export function webRidgeSet(root: string, role: Role): SetReport | null {
  const dir = path.join(root, 'web-ridge+email-reply-parser');
  if (!existsSync(dir)) return null;
  const read = (sub: string, n: string) => readFileSync(path.join(dir, 'dataset', sub, n), 'utf8');
  const fields: Record<string, FieldScore> = {};
  let cases = 0;
  for (const b of files(path.join(dir, 'dataset/basemail'), role)) {
    const body = read('basemail', b);
    for (const s of files(path.join(dir, 'dataset/signatures'), role)) {
      const sig = read('signatures', s);
      for (const q of files(path.join(dir, 'dataset/quoted_reply'), role)) {
        const quote = read('quoted_reply', q);
        const variants: [string, string][] = [
          ['below', `${body}\n\n${sig}\n\n${quote}`],
          ['above', `${quote}\n\n${body}\n\n${sig}\n\n`],
        ];
        for (const [where, text] of variants) {
          cases++;
          const got = ws(extractReply(text).reply);
          const want = ws(body);
          score(
            fields,
            'reply exact (combinations)',
            got === want,
            `${b}+${s}+${q} (quote ${where})`,
            `expected ${JSON.stringify(want.slice(0, 60))} got ${JSON.stringify(got.slice(0, 120))}`,
            closingKept(got, want, sig) ? CLOSING_KEPT : null,
          );
        }
      }
    }
  }
  const test = path.join(dir, 'email_reply_parser_test.go');
  if (existsSync(test)) {
    const src = readFileSync(test, 'utf8');
    const consts = new Map(
      [...src.matchAll(/^const (\w+) = `([^`]*)`/gm)].map((m) => [m[1]!, m[2]!] as const),
    );
    const named: { name: string; text: string; want: string }[] = [];
    for (const fn of src.split(/\nfunc (?=Test)/).slice(1)) {
      const mail = /content := Parse\((\w+)\)/.exec(fn)?.[1];
      const want = /expected := "((?:[^"\\]|\\.)*)"/.exec(fn)?.[1];
      const text = mail === undefined ? undefined : consts.get(mail);
      if (text !== undefined && want !== undefined)
        named.push({ name: /^\w+/.exec(fn)![0], text, want: JSON.parse(`"${want}"`) as string });
    }
    for (const c of half(
      named.sort((a, b) => (a.name < b.name ? -1 : 1)),
      role,
    )) {
      cases++;
      const r = extractReply(c.text);
      const got = ws(r.reply);
      score(
        fields,
        'reply exact (named tests)',
        got === ws(c.want),
        c.name,
        `expected ${JSON.stringify(c.want)} got ${JSON.stringify(got.slice(0, 120))}`,
        replyDivergence(got, ws(r.replyWithSignature), ws(c.want)),
      );
    }
  }
  return cases > 0 ? { set: 'web-ridge/email-reply-parser', role, cases, fields } : null;
}

/** A Ruby string literal at the start of `src` ("…" with escapes, or '…'). */
function rubyString(src: string): string | null {
  const d = /^\s*"((?:[^"\\]|\\.)*)"/.exec(src);
  if (d)
    return d[1]!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  const s = /^\s*'((?:[^'\\]|\\.)*)'/.exec(src);
  return s ? s[1]!.replace(/\\(['\\])/g, '$1') : null;
}

const FIEDL_SPECS = [
  'spec/extended_email_reply_parser/parsers/i18n_de_spec.rb',
  'spec/extended_email_reply_parser/parsers/i18n_en_spec.rb',
  'spec/extended_email_reply_parser/parsers/html_mails_spec.rb',
];

export async function fiedlSet(root: string, role: Role): Promise<SetReport | null> {
  const dir = path.join(root, 'fiedl+extended_email_reply_parser');
  if (!existsSync(dir)) return null;
  const checks = new Map<string, { has: string[]; lacks: string[] }>();
  for (const spec of FIEDL_SPECS) {
    const file = path.join(dir, spec);
    if (!existsSync(file)) continue;
    for (const block of readFileSync(file, 'utf8')
      .split(/\n\s*describe "/)
      .slice(1)) {
      const fixture = /load_email[ (]'(email_de_\d+)'/.exec(block)?.[1];
      if (!fixture) continue;
      const c = checks.get(fixture) ?? { has: [], lacks: [] };
      for (const m of block.matchAll(/expect\(subject\)\.(to|not_to) include\b/g)) {
        const value = rubyString(block.slice(m.index + m[0].length));
        if (value === null || /^<\/?[a-z]/i.test(value)) continue;
        // Its HTML parts are returned raw, so some expectations hold entities ("f&uuml;r");
        // Inlet decodes them.
        const text = /&#?\w+;/.test(value) ? htmlToText(value) : value;
        (m[1] === 'to' ? c.has : c.lacks).push(text);
      }
      checks.set(fixture, c);
    }
  }
  const fields: Record<string, FieldScore> = {};
  const names = half([...checks.keys()].sort(), role);
  for (const n of names) {
    const c = checks.get(n)!;
    const txt = path.join(dir, 'spec/email_fixtures', `${n}.txt`);
    const eml = path.join(dir, 'spec/email_fixtures', `${n}.eml`);
    const input = existsSync(txt) ? readFileSync(txt, 'utf8').replace(/\r\n/g, '\n') : '';
    const got = existsSync(txt)
      ? extractReply(input).reply
      : ((await prepareMessage(readFileSync(eml), defaultIngestLimits)).reply ?? '');
    const missing = c.has.filter((h) => !ws(got).includes(ws(h)));
    const present = c.lacks.filter((h) => ws(got).includes(ws(h)));
    // Reviewed divergence: what is missing sits in a '>' quote an answer below it answers.
    const quoted = ws(quoteBlocks(input).quoted.join('\n'));
    const quoteLeft =
      missing.length > 0 && present.length === 0 && missing.every((h) => quoted.includes(ws(h)));
    score(
      fields,
      'reply properties',
      missing.length + present.length === 0,
      n,
      `${missing
        .map((h) => `lacks ${JSON.stringify(h.slice(0, 60))}`)
        .concat(present.map((h) => `has ${JSON.stringify(h.slice(0, 60))}`))
        .join('; ')} in ${JSON.stringify(ws(got).slice(0, 100))}`,
      quoteLeft ? QUOTE_LEFT : null,
    );
  }
  return names.length > 0
    ? { set: 'fiedl/extended_email_reply_parser', role, cases: names.length, fields }
    : null;
}
