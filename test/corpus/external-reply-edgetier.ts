// EdgeTier/email-reply-parser (a multi-language fork of zapier's parser used on helpdesk mail):
// test/test_email_reply_parser.py reads mails from test/emails and asserts on what
// cut_off_at_signature(text, include=True) or parse_reply(text) or message.reply returns.
// include=True keeps the closing and the name, as issue #16 asks, and cuts what follows them; the
// include=False assertions (closing removed) and the word-limit test are that project's options,
// not facts about the mail, and are not read. Fragment assertions describe its data model only.
// Cases are the mails, sorted by name and split by position (half()), fixed before any was read.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';
import { PyReader } from './py-literal.js';

type Kind = 'exact' | 'starts' | 'ends' | 'has' | 'lacks';
interface Check {
  kind: Kind;
  value: string;
}

/** Logical statements of a function body: lines joined while brackets stay open. */
function statements(body: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const line of body.split('\n')) {
    cur += (cur ? ' ' : '') + line.trim();
    for (const ch of line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')) {
      if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch)) depth--;
    }
    if (depth <= 0) {
      if (cur && !cur.startsWith('#')) out.push(cur);
      cur = '';
      depth = 0;
    }
  }
  return out;
}

const lit = (s: string): string | null => {
  try {
    const v = new PyReader(s).value();
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
};

function expectations(source: string): Map<string, Check[]> {
  const byEmail = new Map<string, Check[]>();
  const add = (email: string | undefined, kind: Kind, value: string | null) => {
    if (email === undefined || value === null) return;
    byEmail.set(email, [...(byEmail.get(email) ?? []), { kind, value }]);
  };
  for (const fn of source.split(/\n\s*def (?=test_)/).slice(1)) {
    if (fn.startsWith('test_word_limit')) continue;
    const mail = new Map<string, string>(); // message or file variable → email
    const body = new Map<string, string | undefined>(); // result variable → email (undefined: not ours)
    for (const st of statements(fn)) {
      let m = /^(\w+) = self\.get_email\(\s*['"]([\w.-]+)['"]\s*\)/.exec(st);
      if (m) mail.set(m[1]!, m[2]!);
      m = /^with open\('emails\/([\w.-]+)\.txt'\) as (\w+):/.exec(st);
      if (m) mail.set(m[2]!, m[1]!);
      m =
        /^(\w+) = EmailReplyParser\.(cut_off_at_signature|parse_reply)\((?:body=)?(\w+)\.text(.*)\)$/.exec(
          st,
        );
      if (m) {
        const excluded = /include=False|word_limit=\d/.test(m[4]!);
        body.set(m[1]!, excluded ? undefined : mail.get(m[3]!));
      }
      // The reply expressions an assertion may name, resolved to their mail.
      const subject = String.raw`(\w+)(?:\.reply)?(?:\.strip\(\))?|EmailReplyParser\.parse_reply\((\w+)\.read\(\)\)`;
      const who = (a?: string, b?: string): string | undefined =>
        b !== undefined
          ? mail.get(b)
          : a !== undefined
            ? body.has(a)
              ? body.get(a)
              : st.includes(`${a}.reply`)
                ? mail.get(a)
                : undefined
            : undefined;
      const L = String.raw`((?:[rbu]?(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*)+)`;
      const forms: [RegExp, Kind, number, number, number][] = [
        [new RegExp(String.raw`^assert (?:${subject}) == ${L}$`), 'exact', 1, 2, 3],
        [new RegExp(String.raw`^assert (?:${subject})\.endswith\(${L}\)$`), 'ends', 1, 2, 3],
        [new RegExp(String.raw`^assert (?:${subject})\.startswith\(${L}\)$`), 'starts', 1, 2, 3],
        [new RegExp(String.raw`^assert ${L} in (?:${subject})$`), 'has', 2, 3, 1],
        [new RegExp(String.raw`^assert ${L} not in (?:${subject})(?:,.*)?$`), 'lacks', 2, 3, 1],
        [
          new RegExp(String.raw`^self\.assertEqual\(\s*${L},\s*(?:${subject})\s*\)$`),
          'exact',
          2,
          3,
          1,
        ],
        [
          new RegExp(String.raw`^self\.assertEqual\(\s*(?:${subject}),\s*${L}\s*\)$`),
          'exact',
          1,
          2,
          3,
        ],
        [
          new RegExp(String.raw`^self\.assertTrue\(\s*${L} in (?:${subject})\s*\)$`),
          'has',
          2,
          3,
          1,
        ],
        [
          new RegExp(String.raw`^self\.assertTrue\(\s*${L} not in (?:${subject})\s*\)$`),
          'lacks',
          2,
          3,
          1,
        ],
      ];
      for (const [re, kind, a, b, l] of forms) {
        const x = re.exec(st);
        if (x) add(who(x[a], x[b]), kind, lit(x[l]!));
      }
    }
  }
  return byEmail;
}

const holds = (got: string, c: Check): boolean => {
  const want = ws(c.value);
  if (c.kind === 'exact') return got === want;
  if (c.kind === 'starts') return got.startsWith(want);
  if (c.kind === 'ends') return got.endsWith(want);
  return got.includes(want) === (c.kind === 'has');
};

export function edgeTierSet(root: string, role: Role): SetReport | null {
  const dir = path.join(root, 'EdgeTier+email-reply-parser/test');
  if (!existsSync(dir)) return null;
  const byEmail = expectations(readFileSync(path.join(dir, 'test_email_reply_parser.py'), 'utf8'));
  const names = half(
    [...byEmail.keys()].filter((n) => existsSync(path.join(dir, 'emails', `${n}.txt`))).sort(),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const n of names) {
    const text = readFileSync(path.join(dir, 'emails', `${n}.txt`), 'utf8');
    const got = ws(extractReply(text).reply);
    const checks = byEmail.get(n)!;
    const show = JSON.stringify(got.slice(0, 100));
    for (const c of checks.filter((x) => x.kind === 'exact'))
      score(
        fields,
        'reply exact',
        holds(got, c),
        n,
        `expected ${JSON.stringify(ws(c.value))} got ${show}`,
      );
    const failed = checks.filter((x) => x.kind !== 'exact' && !holds(got, x));
    if (checks.some((x) => x.kind !== 'exact'))
      score(
        fields,
        'reply properties',
        failed.length === 0,
        n,
        `${failed.map((f) => `${f.kind} ${JSON.stringify(f.value)}`).join('; ')} in ${show}`,
      );
  }
  return { set: 'EdgeTier/email-reply-parser', role, cases: names.length, fields };
}
