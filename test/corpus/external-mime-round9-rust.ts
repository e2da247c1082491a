// A MIME set added in round 9 of issue #16, never scored before: staktrace/mailparse (Rust, 0BSD).
// src/lib.rs parses mail written inline (`let mail = parse_mail(b"…")`, `"…".as_bytes()` or
// `concat!("…", …).as_bytes()`, in tests and in doc examples) and checks the decoded body:
// - `assert_eq!(VAR.get_body().unwrap(), "…")` of a mail that is not multipart and not HTML:
//   scored as the text;
// - `assert_eq!(VAR.subparts[N].get_body().unwrap(), "…")` of a multipart/mixed (or other
//   non-alternative) mail, a body with no markup: Inlet's text holds it ('text part shown').
// A case is one parse_mail call with a literal and a scored check; cases are named by the test
// function and the call's place in it, sorted and split in halves (firstHalf), fixed before any
// was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { headerOf, isMultipart, scoreHalf } from './external-mime-round8-shared.js';
import { unseenMail } from './external-mime-round9-shared.js';
import {
  type FieldScore,
  type Role,
  score,
  scoreText,
  type SetReport,
  ws,
} from './external-score.js';

const OWN = 'staktrace+mailparse';

export interface RustMailCase {
  id: string;
  mail: Buffer;
  text?: string;
  parts: string[];
}

const SIMPLE: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, '"': 34, "'": 39, '0': 0 };

/**
 * One Rust string or byte-string literal at `at` ("…", b"…", r#"…"#), as bytes, and where it
 * ends; null when there is none.
 */
function rustLiteral(src: string, at: number): { bytes: number[]; end: number } | null {
  const raw = /^b?r(#*)"/.exec(src.slice(at, at + 10));
  if (raw) {
    const close = `"${raw[1]}`;
    const start = at + raw[0].length;
    const end = src.indexOf(close, start);
    if (end < 0) return null;
    return { bytes: [...Buffer.from(src.slice(start, end), 'utf8')], end: end + close.length };
  }
  const q = /^b?"/.exec(src.slice(at, at + 2));
  if (!q) return null;
  const out: number[] = [];
  let i = at + q[0].length;
  for (;;) {
    const c = src[i];
    if (c === undefined) return null;
    if (c === '"') return { bytes: out, end: i + 1 };
    if (c !== '\\') {
      const cp = src.codePointAt(i)!;
      out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = src[i + 1] ?? '';
    if (e in SIMPLE) {
      out.push(SIMPLE[e]!);
      i += 2;
    } else if (e === 'x') {
      out.push(parseInt(src.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (e === 'u') {
      const m = /^\{([0-9a-fA-F]+)\}/.exec(src.slice(i + 2, i + 12));
      if (!m) return null;
      out.push(...Buffer.from(String.fromCodePoint(parseInt(m[1]!, 16)), 'utf8'));
      i += 2 + m[0].length;
    } else if (e === '\n' || e === '\r') {
      // A line continuation: the line end and the next line's leading blank space are skipped.
      i = i + 1 + /^[\r\n\s]*/.exec(src.slice(i + 1))![0].length;
    } else return null;
  }
}

/**
 * The bytes of the expression at `at` when it is literal data: a literal, or `concat!(…)` of
 * literals, either followed by `.as_bytes()`; null otherwise.
 */
export function rustBytes(src: string, at: number): { bytes: Buffer; end: number } | null {
  let i = at + /^\s*/.exec(src.slice(at))![0].length;
  const bytes: number[] = [];
  if (src.startsWith('concat!(', i)) {
    i += 'concat!('.length;
    for (;;) {
      i += /^\s*/.exec(src.slice(i))![0].length;
      if (src[i] === ')') {
        i++;
        break;
      }
      const lit = rustLiteral(src, i);
      if (!lit) return null;
      bytes.push(...lit.bytes);
      i = lit.end + /^\s*,?/.exec(src.slice(lit.end))![0].length;
    }
  } else {
    const lit = rustLiteral(src, i);
    if (!lit) return null;
    bytes.push(...lit.bytes);
    i = lit.end;
  }
  const asBytes = /^\s*\.as_bytes\(\)/.exec(src.slice(i));
  if (asBytes) i += asBytes[0].length;
  return { bytes: Buffer.from(bytes), end: i };
}

/** The source with doc-comment markers taken off, so doc examples read as code. */
const withDocExamples = (src: string): string => src.replace(/^[ \t]*\/\/[/!] ?/gm, '');

function casesOfFunction(name: string, body: string): RustMailCase[] {
  const out: RustMailCase[] = [];
  const calls = [...body.matchAll(/\blet\s+(?:mut\s+)?(\w+)\s*=\s*parse_mail\(/g)];
  calls.forEach((m, k) => {
    const arg = rustBytes(body, m.index + m[0].length);
    if (!arg || !/^\s*,?\s*\)/.test(body.slice(arg.end))) return;
    const scope = body.slice(arg.end, calls[k + 1]?.index ?? body.length);
    const v = m[1]!;
    const c: RustMailCase = { id: `${name} #${k + 1}`, mail: arg.bytes, parts: [] };
    const checks = new RegExp(
      `assert_eq!\\(\\s*${v}((?:\\.subparts\\[\\d+\\])?)\\.get_body\\(\\)\\.unwrap\\(\\),\\s*`,
      'g',
    );
    for (const a of scope.matchAll(checks)) {
      const want = rustBytes(scope, a.index + a[0].length);
      if (!want || !/^\s*,?\s*\)/.test(scope.slice(want.end))) continue;
      const text = want.bytes.toString('utf8');
      if (a[1]) c.parts.push(text);
      else c.text = text;
    }
    if (c.text !== undefined || c.parts.length > 0) out.push(c);
  });
  return out;
}

/** Every parse_mail call of src/lib.rs with literal mail and a scored check, sorted by name. */
export function rustMailCases(root: string): RustMailCase[] {
  const file = path.join(root, OWN, 'src/lib.rs');
  if (!existsSync(file)) return [];
  const src = withDocExamples(readFileSync(file, 'utf8'));
  const starts = [...src.matchAll(/\bfn\s+(\w+)\s*[(<]/g)];
  const out: RustMailCase[] = [];
  starts.forEach((f, i) => {
    for (const c of casesOfFunction(f[1]!, src.slice(f.index, starts[i + 1]?.index ?? src.length)))
      if (unseenMail(root, c.mail, OWN)) out.push(c);
  });
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const isHtml = (mail: Buffer): boolean => /^\s*text\/html/i.test(headerOf(mail, 'content-type'));
const isAlternative = (mail: Buffer): boolean =>
  /^\s*multipart\/alternative/i.test(headerOf(mail, 'content-type'));

function scoreCase(fields: Record<string, FieldScore>, c: RustMailCase, got: PreparedMessage) {
  if (c.text !== undefined && !isMultipart(c.mail) && !isHtml(c.mail))
    scoreText(fields, c.id, c.text, got.text);
  if (isAlternative(c.mail)) return;
  const shown = ws(got.text ?? '');
  for (const p of c.parts)
    if (ws(p) !== '' && !/<[a-z!/]/i.test(p))
      score(
        fields,
        'text part shown',
        shown.includes(ws(p)),
        c.id,
        `no ${JSON.stringify(ws(p).slice(0, 60))} in ${JSON.stringify(shown.slice(0, 80))}`,
      );
}

/** staktrace/mailparse: the inline mail of src/lib.rs's tests and doc examples. */
export const rustMailparseSet = (root: string, role: Role): Promise<SetReport | null> =>
  scoreHalf(
    'staktrace/mailparse (Rust, round 9, fresh)',
    role,
    rustMailCases(root),
    (c) => ({ id: c.id, raw: c.mail }),
    scoreCase,
  );
