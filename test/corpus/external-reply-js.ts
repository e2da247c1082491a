// crisp-oss/email-reply-parser (a JavaScript port of the GitHub parser, with many languages and
// "tricky" cases): expectations are its nodeunit assertions on the first fragment or the visible
// text of test/fixtures/<name>.txt. An equality becomes an exact case (a closing and name Inlet keeps
// after it is the reviewed CLOSING_KEPT divergence); a regex tested on the first fragment becomes a
// property of the reply. Split in halves like the other sets.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { CLOSING_KEPT, isClosing } from './external-reply-sets.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';

const BOTTOM_POSTED =
  "the project's first fragment of a bottom-posted reply is the greeting above the quote; Inlet keeps the answers written below it (issue #16 class 3)";

interface JsCase {
  email: string;
  exact: string[];
  patterns: RegExp[];
}

const jsString = (lit: string): string =>
  lit
    .slice(1, -1)
    .replace(/\\\n/g, '')
    .replace(/\\u\{?([0-9a-fA-F]+)\}?/g, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));

const STR = String.raw`("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\[\s\S])*'|COMMON_FIRST_FRAGMENT)`;
const FIRST = String.raw`(?:reply\.)?fragments\[0\](?:\.toString\(\))?(?:\.trim\(\))?|email\.getVisibleText\(\)(?:\.trim\(\))?|text`;

function cases(testFile: string): JsCase[] {
  const src = readFileSync(testFile, 'utf8');
  const common = /const COMMON_FIRST_FRAGMENT = ('(?:[^'\\]|\\[\s\S])*');/.exec(src)?.[1];
  const out: JsCase[] = [];
  for (const fn of src.split(/\nexport function /).slice(1)) {
    const email = /get_email\("([\w.-]+)"\)/.exec(fn)?.[1];
    if (!email) continue;
    const c: JsCase = { email, exact: [], patterns: [] };
    for (const m of fn.matchAll(new RegExp(String.raw`test\.equal\(${STR},\s*(?:${FIRST})\)`, 'g')))
      c.exact.push(jsString(m[1] === 'COMMON_FIRST_FRAGMENT' ? (common ?? "''") : m[1]!));
    for (const m of fn.matchAll(
      /test\.equal\(true,\s*\/((?:[^/\\\n]|\\.)+)\/([a-z]*)\.test\(fragments\[0\](?:\.toString\(\))?\)\)/g,
    ))
      c.patterns.push(new RegExp(m[1]!, m[2]));
    if (c.exact.length + c.patterns.length > 0) out.push(c);
  }
  return out.sort((a, b) => a.email.localeCompare(b.email));
}

export function crispReplySet(root: string, role: Role): SetReport | null {
  const dir = path.join(root, 'crisp-oss+email-reply-parser/test');
  if (!existsSync(path.join(dir, 'test.js'))) return null;
  const fields: Record<string, FieldScore> = {};
  const picked = half(
    cases(path.join(dir, 'test.js')).filter((c) =>
      existsSync(path.join(dir, 'fixtures', `${c.email}.txt`)),
    ),
    role,
  );
  for (const c of picked) {
    const input = readFileSync(path.join(dir, 'fixtures', `${c.email}.txt`), 'utf8');
    const reply = extractReply(input.replace(/\r\n/g, '\n')).reply.trim();
    for (const want of c.exact) {
      // What Inlet kept beyond the expectation, when the reply starts with it.
      const extra = ws(reply).startsWith(ws(want))
        ? reply
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l !== '' && !ws(want).includes(l))
        : [];
      // Answers written below the quote: the extra text stands in the mail after its first '>' line.
      const firstQuote = input.search(/^>/m);
      const below =
        extra.length > 0 && firstQuote >= 0 && input.indexOf(extra[0]!, firstQuote) > firstQuote;
      score(
        fields,
        'reply exact',
        ws(reply) === ws(want),
        c.email,
        `expected ${JSON.stringify(ws(want).slice(0, 80))} got ${JSON.stringify(ws(reply).slice(0, 80))}`,
        extra.length > 0 && isClosing(extra.join('\n'))
          ? CLOSING_KEPT
          : below
            ? BOTTOM_POSTED
            : null,
      );
    }
    if (c.patterns.length > 0) {
      const failed = c.patterns.filter((p) => !p.test(reply));
      score(
        fields,
        'reply properties',
        failed.length === 0,
        c.email,
        `${failed.map(String).join('; ')} not in ${JSON.stringify(ws(reply).slice(0, 80))}`,
      );
    }
  }
  return { set: 'crisp-oss/email-reply-parser', role, cases: picked.length, fields };
}
