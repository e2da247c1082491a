// A MIME set added in round 8 of issue #16, never scored before: DockYard/elixir-mail (Elixir, MIT).
// test/mail/parsers/rfc_2822_test.exs writes each mail as a heredoc handed to `parse_email`
// (which turns its line ends into CRLF) and asserts on the result. A case is one `test "…" do`
// block that parses one heredoc mail without interpolation or options. Scored assertions:
// - `message.headers["subject"] == "S"`;
// - `message.headers["from"] == "a@b"` or `{"Name", "a@b"}`: the sender's address;
// - `message.headers["to"] == [...]`: how many To addresses;
// - `message.body == "S"` when the mail is not multipart: the text (mailio-like, a multipart's
//   body is its preamble, which no client shows, and is not scored).
// Cases are sorted by test name and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { isMultipart, scoreHalf, scoreToCount } from './external-mime-round8-shared.js';
import { neverScored } from './external-round7-fresh.js';
import {
  type FieldScore,
  type Role,
  scoreFrom,
  scoreSubject,
  scoreText,
  type SetReport,
} from './external-score.js';

export interface ElixirCase {
  id: string;
  mail: Buffer;
  subject?: string;
  from?: string;
  toCount?: number;
  text?: string;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
  e: '\x1b',
  '#': '#',
  s: ' ',
  '0': '\0',
};

/** An Elixir string's escapes resolved; null when it interpolates (`#{…}`). */
function unescape(raw: string): string | null {
  if (/(^|[^\\])#\{/.test(raw)) return null;
  return raw.replace(/\\(.)/g, (_m, e: string) => ESCAPES[e] ?? e);
}

/** The heredoc opening at `at` (`"""` then a line end): its lines without the closing indent. */
function heredoc(src: string, at: number): string | null {
  const start = src.indexOf('\n', at) + 1;
  const close = /\n([ \t]*)"""/.exec(src.slice(start - 1));
  if (!start || !close) return null;
  const body = src.slice(start, start - 1 + close.index + 1);
  const indent = close[1]!.length;
  const lines = body.split('\n').slice(0, -1);
  return unescape(
    lines.map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n') + '\n',
  );
}

/** The Elixir value written at `at`: a string, a {"a", "b"} tuple or a [...] list (its items). */
function value(src: string, at: number): string | string[] | null {
  const s = src.slice(at).trimStart();
  const str = /^"((?:[^"\\]|\\.)*)"/.exec(s);
  if (str) return unescape(str[1]!);
  const tuple = /^\{\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)"\s*\}/.exec(s);
  if (tuple) return [unescape(tuple[1]!) ?? '', unescape(tuple[2]!) ?? ''];
  if (s.startsWith('[')) {
    let depth = 0;
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '"') for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
      if (s[i] === '[' || s[i] === '{') depth++;
      else if ((s[i] === ']' || s[i] === '}') && --depth === 0) {
        const inner = s.slice(1, i);
        // Items: tuples or strings at the top level of the list.
        return [...inner.matchAll(/\{[^{}]*\}|"(?:[^"\\]|\\.)*"/g)].map((m) => m[0]);
      }
    }
  }
  return null;
}

const addressOf = (v: string | string[]): string | undefined =>
  Array.isArray(v)
    ? v[1]
    : (/<([^<>]+@[^<>]+)>/.exec(v)?.[1] ?? (/^\S+@\S+$/.test(v.trim()) ? v.trim() : undefined));

function caseOf(id: string, body: string): ElixirCase | null {
  const calls = [...body.matchAll(/parse_email\(\s*(~S)?"""/g)];
  if (calls.length !== 1) return null;
  const call = calls[0]!;
  const text = heredoc(body, call.index + call[0].length);
  const after = body.slice(call.index + call[0].length);
  // Options after the heredoc ("""', opts)") change what is parsed.
  if (text === null || !/^[^]*?\n[ \t]*"""\s*\)/.test(after) || call[1]) return null;
  const mail = Buffer.from(text.replace(/\n/g, '\r\n'));
  const c: ElixirCase = { id, mail };
  for (const m of body.matchAll(/assert message\.(headers\["(subject|from|to)"\]|body) ==/g)) {
    const v = value(body, m.index + m[0].length);
    if (v === null) continue;
    if (m[2] === 'subject' && typeof v === 'string') c.subject = v;
    else if (m[2] === 'from') c.from = addressOf(v);
    else if (
      m[2] === 'to' &&
      Array.isArray(v) &&
      body
        .slice(m.index + m[0].length)
        .trimStart()
        .startsWith('[')
    )
      c.toCount = v.length;
    else if (m[1] === 'body' && typeof v === 'string' && !isMultipart(mail)) c.text = v;
  }
  return c;
}

/** Every elixir-mail parser test with one heredoc mail, sorted by test name. */
export function elixirCases(root: string): ElixirCase[] {
  const file = path.join(root, 'DockYard+elixir-mail/test/mail/parsers/rfc_2822_test.exs');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const starts = [...src.matchAll(/^\s*test "((?:[^"\\]|\\.)*)" do$/gm)];
  const out: ElixirCase[] = [];
  starts.forEach((t, i) => {
    const c = caseOf(t[1]!, src.slice(t.index, starts[i + 1]?.index ?? src.length));
    const scored = c && [c.subject, c.from, c.toCount, c.text].some((x) => x !== undefined);
    if (c && scored && neverScored(root, c.mail)) out.push(c);
  });
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function scoreCase(fields: Record<string, FieldScore>, c: ElixirCase, got: PreparedMessage) {
  if (c.subject !== undefined) scoreSubject(fields, c.id, c.subject, got.parsed.subject);
  if (c.from !== undefined) scoreFrom(fields, c.id, c.from, got.parsed.from?.address);
  if (c.toCount !== undefined) scoreToCount(fields, c.id, c.toCount, got);
  if (c.text !== undefined) scoreText(fields, c.id, c.text, got.text);
}

/** DockYard/elixir-mail: the RFC 2822 parser tests' heredoc mail against their assertions. */
export const elixirMailSet = (root: string, role: Role): Promise<SetReport | null> =>
  scoreHalf(
    'DockYard/elixir-mail (Elixir, round 8, fresh)',
    role,
    elixirCases(root),
    (c) => ({ id: c.id, raw: c.mail }),
    scoreCase,
  );
