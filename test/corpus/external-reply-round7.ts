// Reply cases added in round 7 of issue #16: the mail of four projects that no earlier set scored,
// each with an exact expected reply. Most of these projects' fixtures are GitHub's or willdurand's,
// already scored; only a fixture whose text is in no other set (external-round7-fresh.ts) is a case.
// - kvannotten/mailstrip (Go, MIT): mailstrip_test.go, `&emailStringChecker{equalsString("…")}`
//   on fixtures/NAME.txt (email.String(): the visible text, signature hidden).
// - clearfeed/email-reply-parser and t2bot/node-email-reply-parser (JavaScript, MIT):
//   `equal("…", email.getVisibleText())` (or the reverse, or a variable holding the string) on the
//   fixture the test reads.
// - thoughtbot/constable (Elixir, AGPL-3.0): email_reply_parser_test.exs, each heredoc of
//   @possible_email_body_formats against the string remove_original_email must return.
// These parsers hide the signature, so `reply` is compared (whitespace runs as one space), with the
// reviewed divergence classes every GitHub-family set shares (external-reply-ports.ts). Cases are
// keyed "<repo>:<fixture>", sorted and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { fresh, quoteLeft, type ReplyCase, replyDivergence } from './external-reply-ports.js';
import { neverScored } from './external-round7-fresh.js';
import {
  type FieldScore,
  firstHalf,
  type Role,
  score,
  type SetReport,
  ws,
} from './external-score.js';
import { goString } from './go-literal.js';

/** kvannotten/mailstrip: the exact email.String() checks. */
function mailstripCases(root: string): ReplyCase[] {
  const dir = path.join(root, 'kvannotten+mailstrip');
  const file = path.join(dir, 'mailstrip_test.go');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const out: ReplyCase[] = [];
  for (const m of src.matchAll(/&emailStringChecker\{equalsString\(/g)) {
    const before = [
      ...src.slice(0, m.index).matchAll(/\{\s*"(?:[^"\\]|\\.)*",\s*"([^"]+)",\s*\[\]checker\{/g),
    ];
    const fixture = before.at(-1)?.[1];
    const want = goString(src, m.index + m[0].length);
    const mail = fixture ? path.join(dir, 'fixtures', `${fixture}.txt`) : '';
    if (fixture && want !== null && existsSync(mail))
      out.push({ key: `mailstrip:${fixture}`, text: readFileSync(mail, 'utf8'), want });
  }
  return out;
}

/** A JavaScript string literal, or several joined by `+`, at `src[at]`; null when there is none. */
function jsString(src: string, at: number): { value: string; end: number } | null {
  let value = '';
  let pos = at;
  let any = false;
  for (;;) {
    const m = /^\s*(["'])((?:(?!\1)[^\\]|\\.)*)\1/.exec(src.slice(pos));
    if (!m) break;
    value += m[2]!.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_s, e: string) =>
      e.length > 1
        ? String.fromCharCode(parseInt(e.slice(1), 16))
        : (({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[e] ?? e),
    );
    pos += m[0].length;
    any = true;
    const plus = /^\s*\+/.exec(src.slice(pos));
    if (!plus) break;
    pos += plus[0].length;
  }
  return any ? { value, end: pos } : null;
}

/** The exact getVisibleText() checks of a JavaScript test file, one per test that has one. */
function jsCases(root: string, repo: string, test: string, fixtures: string): ReplyCase[] {
  const file = path.join(root, repo, test);
  if (!existsSync(file)) return [];
  const out: ReplyCase[] = [];
  const blocks = readFileSync(file, 'utf8').split(
    /\n(?=\s*(?:it\s*\(|exports\.\w+\s*=|export function))/,
  );
  for (const block of blocks) {
    const fixture = /(?:getFixture|get_email)\(\s*["']([^"']+)["']\s*\)/.exec(block)?.[1];
    if (!fixture) continue;
    let want: string | null = null;
    const reversed = /\.equal\(\s*email\.getVisibleText\(\)\s*,\s*/.exec(block);
    if (reversed) {
      const at = reversed.index + reversed[0].length;
      const name = /^([A-Za-z_]\w*)\s*[,)]/.exec(block.slice(at))?.[1];
      const decl = name ? new RegExp(`(?:var|let|const)\\s+${name}\\s*=\\s*`).exec(block) : null;
      want = jsString(block, decl ? decl.index + decl[0].length : at)?.value ?? null;
    }
    for (const m of block.matchAll(/\.equal\(\s*(?=["'])/g)) {
      const s = jsString(block, m.index + m[0].length);
      if (s && /^\s*,\s*email\.getVisibleText\(\)/.test(block.slice(s.end))) want = s.value;
    }
    const name = fixture.endsWith('.txt') ? fixture : `${fixture}.txt`;
    const mail = path.join(root, repo, fixtures, name);
    if (want !== null && existsSync(mail))
      out.push({
        key: `${repo.split('+')[0]}:${name.slice(0, -4)}`,
        text: readFileSync(mail, 'utf8'),
        want,
      });
  }
  return out;
}

/** thoughtbot/constable: each heredoc body against the reply remove_original_email returns. */
function constableCases(root: string): ReplyCase[] {
  const file = path.join(
    root,
    'thoughtbot+constable/test/constable/services/email_reply_parser_test.exs',
  );
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const list = /@possible_email_body_formats \[([\s\S]*?)\n\s*\]/.exec(src)?.[1] ?? '';
  const want = /remove_original_email\(unquote\(phrase\)\)\s*==\s*"((?:[^"\\]|\\.)*)"/.exec(
    src,
  )?.[1];
  if (want === undefined) return [];
  // An Elixir heredoc loses the indentation of its closing quotes on every line.
  return [...list.matchAll(/"""\n([\s\S]*?)\n([ \t]*)"""/g)].map((m, i) => ({
    key: `constable:body-${i + 1}`,
    text: m[1]!
      .split('\n')
      .map((l) => (l.startsWith(m[2]!) ? l.slice(m[2]!.length) : l.trimStart()))
      .join('\n'),
    want,
  }));
}

/** Every round-7 reply case found under `root` whose mail no other set holds, sorted by key. */
export function round7ReplyCases(root: string): ReplyCase[] {
  return [
    ...mailstripCases(root),
    ...jsCases(root, 'clearfeed+email-reply-parser', 'test/test.js', 'test/fixtures'),
    ...jsCases(root, 't2bot+node-email-reply-parser', 'test/ParserTest.js', 'test/fixtures'),
    ...constableCases(root),
  ]
    .filter((c) => fresh(root, c.text) && neverScored(root, c.text))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The round-7 reply cases found under `root`, scored for the role's half. */
export function round7ReplySet(root: string, role: Role): SetReport | null {
  const cases = round7ReplyCases(root);
  if (cases.length === 0) return null;
  const chosen = firstHalf(cases, role);
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
      replyDivergence(got, ws(r.replyWithSignature), want) ?? quoteLeft(got, c.want),
    );
  }
  return {
    set: 'mailstrip (Go) + clearfeed, t2bot (JS) + constable (Elixir) replies (round 7, fresh)',
    role,
    cases: chosen.length,
    fields,
  };
}
