// Reply-trimming sets. discourse/email_reply_trimmer keeps golden files (trimmed/X.txt for emails/X.txt),
// split into tune and held-out halves. Two sets keep their expectations in Python unit tests: zapier/email-reply-parser
// (the GitHub parser's Python port) and alfonsrv/mail-parser-reply (its multi-language fork). Each
// test names one mail and asserts on the latest reply; those assertions become the expectations:
// an equality is an exact case, `in`/`not in` checks are properties of the reply. Only assertions on
// the reply as a whole (zapier: parse_reply / message.reply; alfonsrv: replies[0].body) are read;
// fragment, header and signature assertions describe each project's own data model. Both are tune sets.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { edgeTierSet } from './external-reply-edgetier.js';
import { elixirSet, pairsSet, portsSet } from './external-reply-ports.js';
import { quotequailSet } from './external-reply-quotequail.js';
import { talonSet } from './external-reply-talon.js';
import { fiedlSet, webRidgeSet } from './external-reply-webridge.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';

const LIT = String.raw`("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')`;
const pyString = (lit: string): string =>
  lit.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));

interface Expectation {
  email: string;
  exact: string[];
  has: string[];
  lacks: string[];
}

interface Dialect {
  set: string;
  dir: string;
  tests: string[];
  /** Where a reply expression stands in this project's tests. */
  reply: string;
}

const DIALECTS: Dialect[] = [
  {
    set: 'zapier/email-reply-parser',
    dir: 'zapier+email-reply-parser',
    tests: ['test/test_email_reply_parser.py'],
    reply: String.raw`(?:message\.reply(?:\.strip\(\))?|EmailReplyParser\.parse_reply\([^)]*\)\))`,
  },
  {
    set: 'alfonsrv/mail-parser-reply',
    dir: 'alfonsrv+mail-parser-reply',
    tests: ['test/test_email_reply_parser.py', 'test_danish_improvements.py'],
    reply: String.raw`mail\.replies\[0\]\.body`,
  },
];

function expectations(d: Dialect, root: string): Expectation[] {
  const out: Expectation[] = [];
  for (const t of d.tests) {
    const file = path.join(root, d.dir, t);
    if (!existsSync(file)) continue;
    for (const fn of readFileSync(file, 'utf8')
      .split(/\n\s*def (?=test_)/)
      .slice(1)) {
      const email =
        /get_email\(\s*['"]([\w.-]+)['"]/.exec(fn)?.[1] ??
        /open\(\s*'test\/emails\/([\w.-]+)\.txt'/.exec(fn)?.[1];
      if (!email) continue;
      const e: Expectation = { email, exact: [], has: [], lacks: [] };
      const R = d.reply;
      for (const m of fn.matchAll(
        new RegExp(
          String.raw`assertEqual\(\s*${LIT},\s*${R}\s*\)|assertEqual\(\s*${R},\s*${LIT}\s*\)|assertTrue\(\s*${LIT}\s*==\s*${R}\s*\)|assertTrue\(\s*${R}\s*==\s*${LIT}\s*\)`,
          'g',
        ),
      )) {
        e.exact.push(pyString(m[1] ?? m[2] ?? m[3] ?? m[4]!));
      }
      for (const m of fn.matchAll(
        new RegExp(
          String.raw`assertTrue\(\s*${LIT}\s+(not in|in)\s+${R}|assert(In|NotIn)\(\s*${LIT},\s*${R}`,
          'g',
        ),
      )) {
        const lacks = m[2] === 'not in' || m[3] === 'NotIn';
        (lacks ? e.lacks : e.has).push(pyString(m[1] ?? m[4]!));
      }
      if (e.exact.length + e.has.length + e.lacks.length > 0) out.push(e);
    }
  }
  return out;
}

// Reviewed divergences (each checked by hand on the mail).
const CLOSING_KEPT =
  "the project counts a closing and the sender's name as signature; Inlet keeps them in the reply (issue #16: they are the person's text)";
const RULE_KEPT =
  'the project keeps the rule line above the quoted header in the body; Inlet leaves it out with the header';
/** A sign-off: up to three short lines, the last a name ("Jan", "-Abhishek Kona", "/John"). */
const isClosing = (s: string): boolean => {
  const lines = s.split('\n').map((l) => l.trim());
  return (
    lines.length <= 3 &&
    lines.every((l) => l.length <= 40) &&
    /^[-/~]?\s*\p{Lu}[\p{L}.'-]*(?:\s+\p{Lu}[\p{L}.'-]*){0,3}$/u.test(lines.at(-1)!)
  );
};

/** The Python-test reply sets found under `root` (tune only: they shape the rules). */
export function pythonReplySets(root: string): SetReport[] {
  const reports: SetReport[] = [];
  for (const d of DIALECTS) {
    const cases = expectations(d, root);
    if (cases.length === 0) continue;
    const fields: Record<string, FieldScore> = {};
    for (const c of cases) {
      const file = path.join(root, d.dir, 'test/emails', `${c.email}.txt`);
      if (!existsSync(file)) continue;
      const got = extractReply(readFileSync(file, 'utf8').replace(/\r\n/g, '\n')).reply;
      for (const want of c.exact) {
        const rule = ws(want).replace(/\s*[-_]{10,}$/, '') === ws(got) ? RULE_KEPT : null;
        score(
          fields,
          'reply exact',
          ws(got) === ws(want),
          c.email,
          `expected ${JSON.stringify(ws(want).slice(0, 80))} got ${JSON.stringify(ws(got).slice(0, 80))}`,
          rule,
        );
      }
      const missing = c.has.filter((h) => !ws(got).includes(ws(h)));
      const present = c.lacks.filter((h) => ws(got).includes(ws(h)));
      const closing =
        missing.length === 0 && present.length > 0 && present.every(isClosing)
          ? CLOSING_KEPT
          : null;
      score(
        fields,
        'reply properties',
        missing.length + present.length === 0,
        c.email,
        `${missing
          .map((h) => `lacks ${JSON.stringify(h)}`)
          .concat(present.map((h) => `has ${JSON.stringify(h)}`))
          .join('; ')} in ${JSON.stringify(ws(got).slice(0, 80))}`,
        closing,
      );
    }
    reports.push({ set: d.set, role: 'tune', cases: cases.length, fields });
  }
  return reports;
}

// discourse/email_reply_trimmer: test/emails/X.txt trimmed must equal test/trimmed/X.txt.
export function replyTrimmer(root: string, role: Role): SetReport | null {
  const dir = path.join(root, 'discourse+email_reply_trimmer/test');
  if (!existsSync(dir)) return null;
  const names = half(
    readdirSync(path.join(dir, 'emails'))
      .filter((n) => n.endsWith('.txt'))
      .sort(),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const n of names) {
    const input = readFileSync(path.join(dir, 'emails', n), 'utf8').replace(/\r\n/g, '\n');
    const expected = ws(readFileSync(path.join(dir, 'trimmed', n), 'utf8'));
    const got = ws(extractReply(input).reply);
    score(
      fields,
      'reply exact',
      got === expected,
      n,
      `expected ${JSON.stringify(expected.slice(0, 80))} got ${JSON.stringify(got.slice(0, 80))}`,
    );
    // Loose: the expected text is all there and what was added is no more than a fifth of it.
    score(
      fields,
      'reply loose',
      got.includes(expected) && got.length <= expected.length * 1.2 + 10,
      n,
    );
  }
  return { set: 'discourse/email_reply_trimmer', role, cases: names.length, fields };
}

/** The reply sets added in round 3 (EdgeTier, quotequail, talon's inline cases), each split in two. */
export function freshReplySets(root: string, role: Role): SetReport[] {
  return [edgeTierSet(root, role), quotequailSet(root, role), talonSet(root, role)].filter(
    (r): r is SetReport => r !== null && r.cases > 0,
  );
}

/** The reply sets added in round 4 (ports with mail of their own, web-ridge, fiedl), each split in two. */
export async function round4ReplySets(root: string, role: Role): Promise<SetReport[]> {
  return [
    elixirSet(root, role),
    portsSet(root, role),
    pairsSet(root, role),
    webRidgeSet(root, role),
    await fiedlSet(root, role),
  ].filter((r): r is SetReport => r !== null && r.cases > 0);
}
