// Reply sets added in round 9 of issue #16: projects no earlier round scored, each with mail of its
// own and the text its tests say the person wrote.
// - crisp-oss/email-forward-parser (JavaScript, MIT): test/fixtures/NAME.txt, a message forwarded
//   from Apple Mail, Gmail, HubSpot, IONOS, MailMate, Missive, Outlook (2013, 2019, new, Live),
//   Thunderbird and Yahoo in up to 25 languages. test/index.js states per fixture either
//   `result.message` (the text the forwarder wrote above the forwarded message: MESSAGE) or that
//   there is none (`result.message` null, the forwarded body being BODY). With a comment, Inlet's
//   `reply` must be the comment; without one it must be the forwarded body (Inlet's convention:
//   mail forwarded to a helpdesk without a comment is the request). Fixtures whose message the
//   tests do not state (skipMessage) and the non-forwarded variant are not cases. A body file
//   read with several subject files is one case.
// - Liberkeys/replyremover (Go, MIT; GitHub's parser with French G Suite signatures and quote
//   headers added): remover_test.go, `testFixture("NAME", EXPECTED, t)` on fixtures/NAME.txt,
//   EXPECTED a literal, a package constant or a variable of the test. The parser hides the
//   signature, so `reply` is compared, with the GitHub-family divergences (external-reply-ports.ts).
// Each set's cases whose mail no earlier set holds as a file (unseen()) are sorted by key and split
// once, first half tune (firstHalf), fixed in this file before any was scored; mail an earlier set
// writes inline in its tests is dropped from the halves afterwards (as in round 8).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { type ReplyCase, replyDivergence } from './external-reply-ports.js';
import { unseen, writtenInline } from './external-reply-round8-seen.js';
import {
  type FieldScore,
  firstHalf,
  type Role,
  score,
  type SetReport,
  ws,
} from './external-score.js';
import { goString } from './go-literal.js';
import { JsReader } from './js-literal.js';

/** The folders the round-9 reply sets read (each `owner+name` under the external root). */
export const ROUND9_REPLY_SETS = ['crisp-oss+email-forward-parser', 'Liberkeys+replyremover'];

interface Round9Case extends ReplyCase {
  /** The scored field: a comment above a forward, the forwarded text alone, or a reply. */
  field: string;
}

const byKey = (a: { key: string }, b: { key: string }): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

/** `reply` exact for the role's half of the fresh `cases` (sorted by key). */
function scoreRound9(root: string, set: string, role: Role, cases: Round9Case[]): SetReport | null {
  if (cases.length === 0) return null;
  const fresh = cases.filter((c) => unseen(root, c.text, ROUND9_REPLY_SETS)).sort(byKey);
  const chosen = firstHalf(fresh, role).filter(
    (c) => !writtenInline(root, c.text, ROUND9_REPLY_SETS),
  );
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const r = extractReply(c.text.replace(/\r\n?/g, '\n'));
    const got = ws(r.reply);
    const want = ws(c.want);
    score(
      fields,
      c.field,
      got === want,
      c.key,
      `expected ${JSON.stringify(want.slice(0, 80))} got ${JSON.stringify(got.slice(0, 80))}`,
      replyDivergence(got, ws(r.replyWithSignature), want),
    );
  }
  return { set, role, cases: chosen.length, fields };
}

/** The arguments of the call whose '(' is at src[open], split at top-level commas, comments dropped. */
function callArgs(src: string, open: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i);
      if (i < 0) break;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** crisp-oss/email-forward-parser: each loopTests block whose tests state the forwarder's message. */
function forwardCases(root: string): Round9Case[] {
  const dir = path.join(root, 'crisp-oss+email-forward-parser/test');
  const file = path.join(dir, 'index.js');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const constant = (name: string): string | null => {
    const at = new RegExp(`const ${name} = `).exec(src);
    return at ? new JsReader(src, at.index + at[0].length).expr() : null;
  };
  const message = constant('MESSAGE');
  const body = constant('BODY');
  if (message === null || body === null) return [];
  const out = new Map<string, Round9Case>();
  const blocks = src.split(/\n\s*(?=test\w*: function)/).slice(1);
  for (const block of blocks) {
    const loop = block.indexOf('loopTests(');
    const call = block.indexOf('testEmail(');
    if (loop < 0 || call < 0) continue;
    // testEmail(test, result, skipFrom, skipTo, skipCc, skipMessage, skipBody)
    const skipMessage = callArgs(block, call + 'testEmail'.length)[5];
    const noMessage = /result\.message,\s*null\)/.test(block);
    if (!noMessage && skipMessage !== undefined && skipMessage !== 'false') continue;
    const r = new JsReader(block, loop + 'loopTests('.length);
    if (!r.eat('[')) continue;
    for (;;) {
      let name: string | null;
      if (r.eat('[')) {
        name = r.literal();
        if (!r.eat(',') || r.literal() === null || !r.eat(']')) break;
      } else name = r.literal();
      if (name === null) break;
      const fixture = path.join(dir, 'fixtures', `${name}.txt`);
      if (!out.has(name) && existsSync(fixture))
        out.set(name, {
          key: name,
          text: readFileSync(fixture, 'utf8'),
          want: noMessage ? body : message,
          field: noMessage
            ? 'reply exact (forward without comment: the forwarded text)'
            : 'reply exact (comment above a forward)',
        });
      if (!r.eat(',')) break;
    }
  }
  return [...out.values()];
}

/** Liberkeys/replyremover: each testFixture call with its expected text resolved. */
function liberkeysCases(root: string): Round9Case[] {
  const dir = path.join(root, 'Liberkeys+replyremover');
  const file = path.join(dir, 'remover_test.go');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const consts = new Map<string, string>();
  for (const m of src.matchAll(/^const (\w+) = /gm)) {
    const v = goString(src, m.index + m[0].length);
    if (v !== null) consts.set(m[1]!, v);
  }
  const out: Round9Case[] = [];
  for (const fn of src.split(/\nfunc /).slice(1)) {
    const locals = new Map(consts);
    for (const m of fn.matchAll(/(\w+) := /g)) {
      const v = goString(fn, m.index + m[0].length);
      if (v !== null) locals.set(m[1]!, v);
    }
    for (const m of fn.matchAll(/testFixture\(\s*"([\w.-]+)",\s*/g)) {
      const at = m.index + m[0].length;
      const name = /^\w+/.exec(fn.slice(at))?.[0];
      const want = goString(fn, at) ?? (name ? locals.get(name) : undefined) ?? null;
      const fixture = path.join(dir, 'fixtures', `${m[1]}.txt`);
      if (want !== null && existsSync(fixture))
        out.push({
          key: m[1]!,
          text: readFileSync(fixture, 'utf8'),
          want,
          field: 'reply exact',
        });
    }
  }
  return out;
}

/** The round-9 reply sets found under `root`. */
export function round9ReplySets(root: string, role: Role): SetReport[] {
  return [
    scoreRound9(
      root,
      'crisp-oss/email-forward-parser (JS, round 9, fresh)',
      role,
      forwardCases(root),
    ),
    scoreRound9(root, 'Liberkeys/replyremover (Go, round 9, fresh)', role, liberkeysCases(root)),
  ].filter((r): r is SetReport => r !== null && r.cases > 0);
}
