// Reply sets added in round 8 of issue #16: projects no earlier round scored, each with mail of
// its own and the text its trimmer must leave.
// - KritikalFabric/corefabric.io (Java, Apache-2.0): NR001_Rfc822_Test.java, each
//   `Assert.assertEquals(EXPECTED, Rfc822PlainReplyFormats.scrub(MAIL))`: replies written in Apple
//   Mail, Outlook desktop and mobile, Thunderbird and Yahoo mobile to a forum's notification.
//   scrub() drops the quote and the signature, so `reply` is compared. The test sits on a feature
//   branch (commit in NR001-COMMIT.txt beside it), not on master.
// - mozilla-b2g/gaia-email-libs-and-more (JavaScript, Apache-2.0): test_mail_quoting.js, each
//   quoteTests entry's body against its chunks. quotechew labels every run of lines content,
//   leadin, quote, signature, product ("Sent from my …"), disclaimer or list footer; the
//   person's text is the content chunks, so they (joined) are compared with `reply`. Bodies
//   written with an expression the reader does not evaluate (`longBody.replace(…)`) are skipped.
// The HTML sets of this round are in external-reply-round8-html.ts, getfernand/unquotemail in
// external-reply-round8-unquote.ts. Each set's cases are sorted by key and split once, first half
// tune (firstHalf), fixed in this file before any was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { quoteBlocks, type ReplyCase, replyDivergence } from './external-reply-ports.js';
import { unseen, writtenInline } from './external-reply-round8-seen.js';
import {
  type FieldScore,
  firstHalf,
  type Role,
  score,
  type SetReport,
  ws,
} from './external-score.js';
import { JsReader } from './js-literal.js';

// Reviewed divergence classes shared with the earlier sets (issue #16, round 2; round 6's
// FORWARD_ONLY for a mail that is only an earlier message).
const ANSWERS_KEEP_QUESTIONS =
  "the project shows only the person's lines written between quoted questions; Inlet keeps the '>' questions they answer with the answers";
const QUOTE_ONLY =
  'the project returns nothing for a mail that is only a quote; Inlet keeps the quote as the reply (a ticket never shows an empty message)';

// KritikalFabric's scrub() cuts at any line opening with '____' or '----' and at a U+FEFF past the
// first characters (its note: where desktop Outlook's quoted text starts); read on its tune half.
const CUTS_AT_ANY_RULE =
  "the project cuts at any line opening with '____' or '----' and at a U+FEFF (its sign of desktop Outlook's quote); Inlet cuts at a rule only with a quoted header block under it, and a U+FEFF is an invisible character to it";

/** The person's lines of `reply` without the '>' quotes and their attributions. */
const answersOnly = (reply: string): string => ws(quoteBlocks(reply).kept.join('\n'));

/** Why Inlet's `reply` differs from quotechew's content by convention only, or null. */
function gelamDivergence(c: ReplyCase, reply: string): string | null {
  if (!/^\s*>/m.test(reply)) return null;
  const want = ws(c.want);
  if (want === '') return answersOnly(c.text) === '' ? QUOTE_ONLY : null;
  return answersOnly(reply) === want ? ANSWERS_KEEP_QUESTIONS : null;
}

/** Scores `reply` exact for the role's half (firstHalf) of `cases`, sorted by key. */
export function scoreRound8(
  root: string,
  set: string,
  role: Role,
  cases: ReplyCase[],
  divergence: (c: ReplyCase, reply: string) => string | null = () => null,
): SetReport | null {
  if (cases.length === 0) return null;
  const sorted = [...cases].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const chosen = firstHalf(sorted, role).filter((c) => !writtenInline(root, c.text));
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const r = extractReply(c.text.replace(/\r\n/g, '\n'));
    const got = ws(r.reply);
    const want = ws(c.want);
    score(
      fields,
      'reply exact',
      got === want,
      c.key,
      `expected ${JSON.stringify(want.slice(0, 80))} got ${JSON.stringify(got.slice(0, 80))}`,
      replyDivergence(got, ws(r.replyWithSignature), want) ?? divergence(c, r.reply),
    );
  }
  return { set, role, cases: chosen.length, fields };
}

/** KritikalFabric: each test method's expected text and the mail scrub() is handed. */
function kritikalCases(root: string): ReplyCase[] {
  const file = path.join(
    root,
    'KritikalFabric+corefabric.io/src/test/java/org/kritikal/fabric/core/NR001_Rfc822_Test.java',
  );
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const out: ReplyCase[] = [];
  for (const m of src.matchAll(/public void (\w+)\(\)[^{]*\{\s*Assert\.assertEquals\(/g)) {
    const r = new JsReader(src, m.index + m[0].length);
    const want = r.expr();
    if (want === null || !r.eat(',') || !r.eat('Rfc822PlainReplyFormats.scrub(')) continue;
    const text = r.expr();
    if (text !== null && r.eat(')')) out.push({ key: m[1]!, text, want });
  }
  return out;
}

/** GELAM: each quoteTests entry, its content chunks joined as the expected reply. */
function gelamCases(root: string): ReplyCase[] {
  const file = path.join(
    root,
    'mozilla-b2g+gaia-email-libs-and-more/test/unit/test_mail_quoting.js',
  );
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const names = new Map<string, string>();
  const joiners = new Map([['j', '\n']]);
  for (const m of src.matchAll(/\bvar (\w+) =/g)) {
    const r = new JsReader(src, m.index + m[0].length, names, joiners);
    const value = r.expr();
    if (value !== null && r.eat(';')) names.set(m[1]!, value);
  }
  const start = src.indexOf('var quoteTests = [');
  if (start === -1) return [];
  const out: ReplyCase[] = [];
  for (const m of src.slice(start).matchAll(/\{\s*name:\s*/g)) {
    const r = new JsReader(src, start + m.index + m[0].length, names, joiners);
    const key = r.literal();
    if (key === null || !r.eat(',') || !r.eat('body:')) continue;
    const text = r.expr();
    if (text === null || !r.eat(',') || !r.eat('chunks:') || !r.eat('[')) continue;
    const chunks = r.items(']');
    if (chunks === null || chunks.length % 2 !== 0) continue;
    const content = chunks.filter((c, i) => i % 2 === 1 && chunks[i - 1] === 'content');
    out.push({ key, text, want: content.join('\n\n') });
  }
  return out;
}

/** The round-8 text sets found under `root`, with mail no earlier set holds. */
export function round8ReplyTextSets(root: string, role: Role): SetReport[] {
  const kritikal = kritikalCases(root).filter((c) => unseen(root, c.text));
  const gelam = gelamCases(root).filter((c) => unseen(root, c.text));
  return [
    scoreRound8(
      root,
      'KritikalFabric/corefabric.io scrub (Java, round 8, fresh)',
      role,
      kritikal,
      (c, reply) =>
        ws(reply).startsWith(ws(c.want)) &&
        (/\n(?:____|----)/.test(c.text) || c.text.indexOf('\ufeff', 1) > 0)
          ? CUTS_AT_ANY_RULE
          : null,
    ),
    scoreRound8(
      root,
      'mozilla-b2g/gaia-email-libs quotechew (JS, round 8, fresh)',
      role,
      gelam,
      gelamDivergence,
    ),
  ].filter((r): r is SetReport => r !== null && r.cases > 0);
}
