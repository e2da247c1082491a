// Reply sets from ports of GitHub's email_reply_parser that added mail of their own (round 4 of
// issue #16). Most ports reuse GitHub's or willdurand's fixtures, which ../shared/corpus already
// scores; only a fixture whose text is in none of the sets scored before is a case here (fresh()).
// - hellogustav/elixir_email_reply_parser: `parse_reply(x) == "…"` in the ExUnit test, for the
//   German and Outlook mails it added.
// - Pelumi/EmailReplyParser (Java) and huan086/EmailReplyParser (C#): assertEquals(…,
//   email.getVisibleText()) / Assert.Equal(…, email.GetVisibleText()); commented-out tests are not
//   read. One set, cases keyed "<repo>:<fixture>".
// - bluee/EmailReplyParser and markashleybell/MAB.EmailReplyParser: an expected-result file per
//   input. One set, keyed the same way.
// GitHub-family parsers hide the signature, so `reply` is compared. Cases are sorted by key and
// split by position (half()), fixed before any was read (/work/heldout-data/w40/SPLITS.md).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { type ExtractedReply, extractReply } from '../../src/ingest/stages/extract-reply.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';
import { replyCorpusRoot } from './reply-corpus.js';

const digest = (text: string): string =>
  createHash('sha1').update(text.replace(/\r\n/g, '\n').trim()).digest('hex');

// The reply sets scored before this round: the shared corpus and the earlier external sets.
const EARLIER = [
  'discourse+email_reply_trimmer',
  'zapier+email-reply-parser',
  'alfonsrv+mail-parser-reply',
  'EdgeTier+email-reply-parser',
];
let known: Set<string> | null = null;
function knownTexts(root: string): Set<string> {
  if (known) return known;
  known = new Set();
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const n of readdirSync(dir)) {
      const p = path.join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size < 2_000_000) known!.add(digest(readFileSync(p, 'utf8')));
    }
  };
  const shared = replyCorpusRoot();
  if (shared)
    for (const s of [
      'github_email_reply_parser',
      'willdurand_EmailReplyParser',
      'crisp_email_reply_parser',
      'talon',
    ])
      walk(path.join(shared, s));
  for (const s of EARLIER) walk(path.join(root, s));
  return known;
}

/** Mail none of the earlier sets holds. */
export const fresh = (root: string, text: string): boolean => !knownTexts(root).has(digest(text));

export interface ReplyCase {
  key: string;
  text: string;
  want: string;
}

// Reviewed divergences (each read on a tune case): Inlet keeps a closing and the name under the
// text, and leaves the title and contact lines under them out of `reply`.
export const NAME_KEPT =
  "the project counts the sender's name under the text as signature; Inlet keeps it in the reply (issue #16: a closing and name are the person's text)";
const BLOCK_LEFT =
  'the project keeps the title and contact lines under the closing and name; Inlet leaves them out of reply (they are in replyWithSignature)';
const QUOTE_LEFT =
  "the project keeps the '>' quote an answer below it answers, with its attribution; Inlet keeps the person's lines around it (issue #16, round 2: answers below a quote)";
const NAME_ONLY = /^[-/~—–]?\s*\p{Lu}[\p{L}.'-]*(?:\s+\p{Lu}[\p{L}.'-]*){0,3}$/u;

/** The '>' blocks of `text` with the attribution line ending in ':' just above each. */
export function quoteBlocks(text: string): { kept: string[]; quoted: string[] } {
  const lines = text.split('\n');
  const kept: string[] = [];
  const quoted: string[] = [];
  lines.forEach((line, i) => {
    let k = i + 1;
    while (k < lines.length && k <= i + 2 && (lines[k] ?? '').trim() === '') k++;
    const attribution = /:\s*$/.test(line) && /^\s*>/.test(lines[k] ?? '');
    (/^\s*>/.test(line) || attribution ? quoted : kept).push(line);
  });
  return { kept, quoted };
}

/** Why `got` differs from `want` by convention only, or null (all three whitespace-normalised). */
export function replyDivergence(got: string, withSignature: string, want: string): string | null {
  // A name in Gmail's plain-text bold ("*Jane Roe*") is a name all the same.
  const rest = got.startsWith(want)
    ? got
        .slice(want.length)
        .trim()
        .replace(/^\*(.+)\*$/, '$1')
    : null;
  if (rest !== null && rest !== '' && NAME_ONLY.test(rest)) return NAME_KEPT;
  if (withSignature === want && want.startsWith(got)) return BLOCK_LEFT;
  return null;
}

/** `want` (raw) less its answered quotes is what Inlet kept. */
export const quoteLeft = (got: string, want: string): string | null =>
  /^\s*>/m.test(want) && ws(quoteBlocks(want).kept.join('\n')) === got ? QUOTE_LEFT : null;

/** How a set's mail is read (text by default), and whether it keeps the signature. */
export interface ReplySetKind {
  read?: (mail: string) => ExtractedReply;
  /** The project strips the quote only: compare `replyWithSignature`. */
  withSignature?: boolean;
}

/** Scores `reply` exact (whitespace runs as one space) over the role's half of `cases`. */
export function scoreReplyCases(
  set: string,
  role: Role,
  cases: ReplyCase[],
  /** A set's own reviewed divergence for a case, given Inlet's `reply` (whitespace-normalised). */
  divergence: (c: ReplyCase, got: string) => string | null = () => null,
  kind: ReplySetKind = {},
): SetReport | null {
  if (cases.length === 0) return null;
  const sorted = [...cases].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Ports copy each other's fixtures: a held-out case with the mail and expectation of a tune
  // case is not unseen, and is left out (the split itself stays as it was fixed).
  const tuned = new Set(half(sorted, 'tune').map((c) => digest(c.text + '\0' + c.want)));
  const mine = half(sorted, role).filter(
    (c) => role === 'tune' || !tuned.has(digest(c.text + '\0' + c.want)),
  );
  const fields: Record<string, FieldScore> = {};
  for (const c of mine) {
    const r = (kind.read ?? extractReply)(c.text.replace(/\r\n/g, '\n'));
    const got = ws(kind.withSignature ? r.replyWithSignature : r.reply);
    const want = ws(c.want);
    score(
      fields,
      kind.withSignature ? 'reply with signature exact' : 'reply exact',
      got === want,
      c.key,
      `expected ${JSON.stringify(want.slice(0, 80))} got ${JSON.stringify(got.slice(0, 80))}`,
      (kind.withSignature ? null : replyDivergence(got, ws(r.replyWithSignature), want)) ??
        quoteLeft(got, c.want) ??
        divergence(c, got),
    );
  }
  return { set, role, cases: mine.length, fields };
}

/** A C-family string literal ("…" with backslash escapes) at the start of `src`. */
const C_STRING = /^\s*@?"((?:[^"\\]|\\.)*)"/;
const unescapeC = (s: string): string =>
  s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, c: string) =>
    c.length > 1
      ? String.fromCharCode(parseInt(c.slice(1), 16))
      : c === 'n'
        ? '\n'
        : c === 't'
          ? '\t'
          : c === 'r'
            ? '\r'
            : c,
  );

/** `"a" + "b" + NAME …` up to the first token that is neither, joined; null when none. */
function concatenation(src: string, consts: Map<string, string>): string | null {
  let out = '';
  let rest = src;
  let any = false;
  for (;;) {
    const lit = C_STRING.exec(rest);
    const name = /^\s*([A-Z_][A-Z0-9_]*)\b/.exec(rest);
    if (lit) {
      out += unescapeC(lit[1]!);
      rest = rest.slice(lit[0].length);
    } else if (name && consts.has(name[1]!)) {
      out += consts.get(name[1]!)!;
      rest = rest.slice(name[0].length);
    } else return any ? out : null;
    any = true;
    const plus = /^\s*\+/.exec(rest);
    if (!plus) return out;
    rest = rest.slice(plus[0].length);
  }
}

// Java and C#: a test method names its fixture, then compares a literal with the visible text.
const PORT_TESTS = [
  {
    dir: 'Pelumi+EmailReplyParser',
    test: 'src/test/java/com/edlio/emailreplyparser/EmailParserTest.java',
    fixtures: 'src/test/fixtures',
    fixture: /getFixture\("([\w.-]+)"\)/,
    assert: /assertEquals\(/g,
    visible: /^\s*,\s*email\.getVisibleText\(\)\s*\)/,
  },
  {
    dir: 'huan086+EmailReplyParser',
    test: 'src/EmailReplyParser.Tests/EmailParserTests.cs',
    fixtures: 'src/EmailReplyParser.Tests/resources',
    fixture: /Get_email\("([\w.-]+)"\)/,
    assert: /Assert\.Equal\(/g,
    visible: /^\s*,\s*email\.GetVisibleText\(\)\s*\)/,
  },
];

function portCases(root: string): ReplyCase[] {
  const out: ReplyCase[] = [];
  for (const p of PORT_TESTS) {
    const file = path.join(root, p.dir, p.test);
    if (!existsSync(file)) continue;
    // Commented-out tests are the port's known failures, not its expectations.
    const source = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const consts = new Map<string, string>();
    for (const m of source.matchAll(/const string ([A-Z_][A-Z0-9_]*)\s*=/g)) {
      const v = concatenation(source.slice(m.index + m[0].length), consts);
      if (v !== null) consts.set(m[1]!, v);
    }
    for (const method of source.split(/\bpublic void\b/).slice(1)) {
      const name = p.fixture.exec(method)?.[1];
      if (!name) continue;
      const fixture = path.join(
        root,
        p.dir,
        p.fixtures,
        name.endsWith('.txt') ? name : `${name}.txt`,
      );
      if (!existsSync(fixture)) continue;
      const text = readFileSync(fixture, 'utf8');
      if (!fresh(root, text)) continue;
      for (const m of method.matchAll(p.assert)) {
        const src = method.slice(m.index + m[0].length);
        const want = concatenation(src, consts);
        if (want === null) continue;
        // The literal must be compared with the visible text, not with a fragment.
        let end = 0;
        for (let rest = src; ;) {
          const lit = C_STRING.exec(rest) ?? /^\s*[A-Z_][A-Z0-9_]*\b/.exec(rest);
          if (!lit) break;
          end += lit[0].length;
          rest = rest.slice(lit[0].length);
          const plus = /^\s*\+/.exec(rest);
          if (!plus) break;
          end += plus[0].length;
          rest = rest.slice(plus[0].length);
        }
        if (p.visible.test(src.slice(end)))
          out.push({ key: `${p.dir.split('+')[0]}:${name}`, text, want });
      }
    }
  }
  return out;
}

/** Pelumi (Java) and huan086 (C#) ports, scored together. */
export function portsSet(root: string, role: Role): SetReport | null {
  return scoreReplyCases('EmailReplyParser ports (Pelumi, huan086)', role, portCases(root));
}

// Expected-result files beside the inputs.
const PAIRS = [
  {
    dir: 'bluee+EmailReplyParser',
    input: 'EmailReplyParserCore.Tests/TestEmails',
    expected: 'EmailReplyParserCore.Tests/TestEmailResults',
  },
  {
    dir: 'markashleybell+MAB.EmailReplyParser',
    input: 'MAB.EmailReplyParser.Test/TestData',
    expected: 'MAB.EmailReplyParser.Test/ExpectedResults',
  },
];

/** bluee and MAB.EmailReplyParser's input / expected-result pairs, scored together. */
export function pairsSet(root: string, role: Role): SetReport | null {
  const cases: ReplyCase[] = [];
  for (const p of PAIRS) {
    const inDir = path.join(root, p.dir, p.input);
    if (!existsSync(inDir)) continue;
    for (const n of readdirSync(inDir).filter((f) => f.endsWith('.txt'))) {
      const expected = path.join(root, p.dir, p.expected, n);
      const text = readFileSync(path.join(inDir, n), 'utf8');
      if (existsSync(expected) && fresh(root, text))
        cases.push({
          key: `${p.dir.split('+')[0]}:${n}`,
          text,
          want: readFileSync(expected, 'utf8'),
        });
    }
  }
  return scoreReplyCases('EmailReplyParser ports (bluee, MAB) result files', role, cases);
}

/** hellogustav/elixir_email_reply_parser: `parse_reply(content) == "…"` for its own mails. */
export function elixirSet(root: string, role: Role): SetReport | null {
  const dir = path.join(root, 'hellogustav+elixir_email_reply_parser/test');
  const file = path.join(dir, 'elixir_email_reply_parser_test.exs');
  if (!existsSync(file)) return null;
  const cases: ReplyCase[] = [];
  for (const block of readFileSync(file, 'utf8')
    .split(/\n\s*test "/)
    .slice(1)) {
    const bind = /(\w+) = get_email_content\(["']([\w/.-]+)["']\)/.exec(block);
    if (!bind) continue;
    const m = new RegExp(String.raw`parse_reply\(${bind[1]}\) == "((?:[^"\\]|\\.)*)"`).exec(block);
    const fixture = path.join(dir, 'emails', `${bind[2]}.txt`);
    if (!m || !existsSync(fixture)) continue;
    const text = readFileSync(fixture, 'utf8');
    if (fresh(root, text)) cases.push({ key: bind[2]!, text, want: unescapeC(m[1]!) });
  }
  return scoreReplyCases('hellogustav/elixir_email_reply_parser', role, cases);
}
