// A MIME set added in round 8 of issue #16, never scored before: karastojko/mailio (C++, BSD-2).
// test/test_message.cpp parses mail written inline (`string msg_str = "..." "...";` then
// `msg.parse(msg_str)`) and checks the result in `BOOST_CHECK(a == b && ...)`. A case is one
// BOOST_AUTO_TEST_CASE with such a mail that does not expect the parse to throw (mailio's strict
// line-length and header policies reject mail Inlet must take). Of its checks these are scored:
// - `msg.subject() == S`; the sender: `msg.from().addresses.at(0).address == A` or the address in
//   `msg.from_to_string() == "name <A>"`; `msg.recipients().addresses.size() == N` (To count);
// - `msg.content() == S` as the text when the mail is not multipart (of a multipart mailio's
//   content() is the preamble, which no mail client shows);
// - `msg.parts().at(N)…content() == S` of a part checked as text/plain: Inlet's text holds it;
// - `msg.attachments_size() == N`, and `msg.parts().at(N).name() == S` as a file name.
// Reviewed divergences (tune half), each a rule about the mail:
// - mailio takes SMTP dot-stuffing off every line that starts with '.' (DOT_STUFFING); mail read
//   over IMAP or a provider's API is not dot-stuffed, so Inlet shows the dots as written;
// - mailio counts group members apart from the To addresses, and a bare name (no '@') as one
//   (GROUPED_TO); Inlet lists every mailbox, group members too, and no entry without an address.
// Cases are sorted by test name and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { headerOf, isMultipart, scoreHalf, scoreToCount } from './external-mime-round8-shared.js';
import { neverScored } from './external-round7-fresh.js';
import {
  type FieldScore,
  type Role,
  score,
  scoreFrom,
  scoreSubject,
  scoreText,
  type SetReport,
  ws,
} from './external-score.js';

export interface MailioCase {
  id: string;
  mail: Buffer;
  subject?: string;
  from?: string;
  toCount?: number;
  /** The top-level content of a mail that is not multipart. */
  text?: string;
  /** Contents of parts checked as text/plain. */
  plainParts: string[];
  count?: number;
  names: string[];
}

/** The bytes of adjacent C++ string literals starting at `pos` (u8 prefixes allowed), and the end. */
export function cppStrings(src: string, pos: number): { bytes: Buffer; end: number } | null {
  const out: number[] = [];
  let i = pos;
  let any = false;
  for (;;) {
    const gap = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/.exec(src.slice(i, i + 2000))![0].length;
    let j = i + gap;
    if (src.startsWith('u8"', j)) j += 2;
    if (src[j] !== '"') break;
    j++;
    for (;;) {
      const c = src[j++];
      if (c === undefined || c === '\n') return null;
      if (c === '"') break;
      if (c !== '\\') {
        const cp = src.codePointAt(j - 1)!;
        if (cp > 0xffff) j++;
        out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
        continue;
      }
      const e = src[j++];
      const simple: Record<string, number> = {
        n: 10,
        r: 13,
        t: 9,
        '"': 34,
        "'": 39,
        '\\': 92,
        a: 7,
        b: 8,
        f: 12,
        v: 11,
        '?': 63,
      };
      if (e !== undefined && e in simple) out.push(simple[e]!);
      else if (e === 'x') {
        const h = /^[0-9a-fA-F]+/.exec(src.slice(j, j + 8))![0];
        j += h.length;
        out.push(parseInt(h, 16) & 0xff);
      } else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        out.push(...Buffer.from(String.fromCodePoint(parseInt(src.slice(j, j + n), 16)), 'utf8'));
        j += n;
      } else if (e !== undefined && /[0-7]/.test(e)) {
        const o = /^[0-7]{0,2}/.exec(src.slice(j, j + 2))![0];
        j += o.length;
        out.push(parseInt(e + o, 8) & 0xff);
      } else return null;
    }
    any = true;
    i = j;
  }
  return any ? { bytes: Buffer.from(out), end: i } : null;
}

/** The index of the ')' closing the '(' just before `from`, skipping string literals. */
function closing(src: string, from: number): number {
  let depth = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return src.length;
}

/** The top-level `a == b` clauses of a condition joined by `&&`. */
function clauses(cond: string): { lhs: string; rhs: string; rhsAt: number }[] {
  const out: { lhs: string; rhs: string; rhsAt: number }[] = [];
  let depth = 0;
  let start = 0;
  const push = (end: number) => {
    const part = cond.slice(start, end);
    const eq = part.indexOf('==');
    if (eq > 0)
      out.push({
        lhs: part.slice(0, eq).replace(/\s+/g, ''),
        rhs: part.slice(eq + 2),
        rhsAt: start + eq + 2,
      });
  };
  for (let i = 0; i < cond.length; i++) {
    const c = cond[i];
    if (c === '"') {
      for (i++; i < cond.length && cond[i] !== '"'; i++) if (cond[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && cond.startsWith('&&', i)) {
      push(i);
      start = i + 2;
      i++;
    }
  }
  push(cond.length);
  return out;
}

/** One test body read into a case, or null when it has no literal mail parsed without throwing. */
function caseOf(id: string, body: string): MailioCase | null {
  const def = /\bstring\s+msg_str\s*=\s*/.exec(body);
  const call = /\b(\w+)\.parse\(\s*msg_str\s*(?:,[^)]*)?\)\s*;/.exec(body);
  if (!def || !call || /BOOST_CHECK_THROW\(\s*\w+\.parse\(/.test(body)) return null;
  const lit = cppStrings(body, def.index + def[0].length);
  if (!lit || !/^\s*;/.test(body.slice(lit.end))) return null;
  const c: MailioCase = { id, mail: lit.bytes, plainParts: [], names: [] };
  const v = call[1]!;
  const parts = new Map<string, { plain?: boolean; content?: string; name?: string }>();
  for (const m of body.matchAll(/\bBOOST_CHECK\(/g)) {
    const open = m.index + m[0].length;
    const cond = body.slice(open, closing(body, open));
    for (const { lhs, rhs, rhsAt } of clauses(cond)) {
      if (!lhs.startsWith(`${v}.`)) continue;
      const t = lhs.slice(v.length);
      const s = cppStrings(cond, rhsAt)?.bytes.toString('utf8');
      const n = /^\s*(\d+)\s*$/.exec(rhs)?.[1];
      const part = /^((?:\.parts\(\)\.at\(\d+\))+)(.*)$/.exec(t);
      if (part) {
        const p = parts.get(part[1]!) ?? {};
        parts.set(part[1]!, p);
        if (part[2] === '.content_type().media_subtype()' && s !== undefined)
          p.plain = s === 'plain';
        else if (part[2] === '.content()' && s !== undefined) p.content = s;
        else if (part[2] === '.name()' && s !== undefined) p.name = s;
      } else if (t === '.subject()' && s !== undefined) c.subject = s;
      else if (t === '.from().addresses.at(0).address' && s !== undefined) c.from = s;
      else if (t === '.from_to_string()' && s !== undefined)
        c.from ??= /<([^<>]*)>\s*$/.exec(s)?.[1] ?? (/^\S+@\S+$/.test(s) ? s : undefined);
      else if (t === '.recipients().addresses.size()' && n) c.toCount = Number(n);
      else if (t === '.content()' && s !== undefined && !isMultipart(c.mail)) c.text = s;
      else if (t === '.attachments_size()' && n) c.count = Number(n);
    }
  }
  for (const p of parts.values()) {
    if (p.plain && p.content !== undefined) c.plainParts.push(p.content);
    if (p.name) c.names.push(p.name);
  }
  return c;
}

/** Every mailio parse test with inline mail, sorted by test name. */
export function mailioCases(root: string): MailioCase[] {
  const file = path.join(root, 'karastojko+mailio/test/test_message.cpp');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const starts = [...src.matchAll(/^BOOST_AUTO_TEST_CASE\((\w+)\)/gm)];
  const out: MailioCase[] = [];
  starts.forEach((t, i) => {
    const c = caseOf(t[1]!, src.slice(t.index, starts[i + 1]?.index ?? src.length));
    if (c && neverScored(root, c.mail)) out.push(c);
  });
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const DOT_STUFFING =
  "the project removes SMTP dot-stuffing (a leading '.') from every line it parses; mail read over IMAP or an API is not dot-stuffed, so Inlet keeps the dots as written";
const GROUPED_TO =
  'the project counts To group members apart and a bare name with no address as one; Inlet lists every mailbox, group members too, and nothing without an address';
/** Text without SMTP dot-stuffing: one leading '.' off each line. */
const unstuffed = (text: string): string => text.replace(/^\./gm, '');
/** Whether the To header holds a group (`name: …;`) or an entry with no address. */
const groupedOrBare = (mail: Buffer): boolean => {
  const to = headerOf(mail, 'to');
  return (
    /:/.test(to.replace(/"[^"]*"/g, '')) || to.split(',').some((e) => e.trim() && !e.includes('@'))
  );
};

function scoreCase(fields: Record<string, FieldScore>, c: MailioCase, got: PreparedMessage) {
  if (c.subject !== undefined) scoreSubject(fields, c.id, c.subject, got.parsed.subject);
  if (c.from !== undefined) scoreFrom(fields, c.id, c.from, got.parsed.from?.address);
  if (c.toCount !== undefined)
    scoreToCount(fields, c.id, c.toCount, got, groupedOrBare(c.mail) ? GROUPED_TO : null);
  if (c.text !== undefined)
    scoreText(
      fields,
      c.id,
      c.text,
      got.text,
      ws(unstuffed(got.text ?? '')) === ws(c.text) ? DOT_STUFFING : null,
    );
  const shown = ws(got.text ?? '');
  for (const p of c.plainParts)
    score(
      fields,
      'text part shown',
      shown.includes(ws(p)),
      c.id,
      `no ${JSON.stringify(ws(p).slice(0, 60))} in ${JSON.stringify(shown.slice(0, 80))}`,
      ws(unstuffed(got.text ?? '')).includes(ws(p)) ? DOT_STUFFING : null,
    );
  const listed = got.attachments.map((a) => `${a.filename} ${a.declaredType}`).join(', ');
  if (c.count !== undefined)
    score(
      fields,
      'attachment count',
      c.count === got.attachments.length,
      c.id,
      `expected ${c.count} got ${got.attachments.length} (${listed})`,
    );
  for (const name of c.names)
    score(
      fields,
      'attachment names',
      got.attachments.some((a) => a.filename === name),
      c.id,
      `missing ${JSON.stringify(name)} (${listed})`,
    );
}

/** karastojko/mailio: test_message.cpp's inline mail against its own checks. */
export const mailioSet = (root: string, role: Role): Promise<SetReport | null> =>
  scoreHalf(
    'karastojko/mailio (C++, round 8, fresh)',
    role,
    mailioCases(root),
    (c) => ({ id: c.id, raw: c.mail }),
    scoreCase,
  );
