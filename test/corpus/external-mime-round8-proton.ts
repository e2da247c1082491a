// A MIME set added in round 8 of issue #16, never scored before: ProtonMail/proton-bridge (Go,
// GPL-3.0). pkg/message/parser_test.go parses pkg/message/testdata/NAME.eml
// (`getFileReader("NAME.eml")` then `Parse(f)`) and asserts with testify on the result. Scored:
// - `m.Sender.String()` and `m.ToList[0].String()`: the sender's and the first To address;
// - `m.Subject`; `string(m.PlainBody)`: the text;
// - `assert.Len(t, m.Attachments, N)`, `m.Attachments[N].Name`, and
//   `string(m.Attachments[N].Data)` (a file with that content).
// A case is one mail: the assertions of every test that parses it (so a mail is never in both
// halves). Cases are sorted by mail name and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { scoreHalf } from './external-mime-round8-shared.js';
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
import { goString } from './go-literal.js';

export interface ProtonCase {
  eml: string;
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  count?: number;
  names: string[];
  contents: string[];
}

const DIR = 'ProtonMail+proton-bridge/pkg/message';

/** The address in `"Name" <a@b>` or a bare address. */
const addressOf = (v: string): string => /<([^<>]*)>\s*$/.exec(v)?.[1] ?? v.trim();

/** The arguments of a call whose text starts at `at` (just after its '('), split at top-level commas. */
function callArgs(src: string, at: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = at;
  for (let i = at; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++;
    } else if (c === '`') i = src.indexOf('`', i + 1);
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        out.push(src.slice(from, i).trim());
        return out;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      out.push(src.slice(from, i).trim());
      from = i + 1;
    }
    if (i < 0) break;
  }
  return out;
}

function readTest(c: ProtonCase, body: string): void {
  for (const m of body.matchAll(/\b(?:assert|require)\.Equal\(/g)) {
    const [, a, b] = callArgs(body, m.index + m[0].length);
    if (a === undefined || b === undefined) continue;
    // testify's order is (expected, actual); some calls swap them.
    const [want, target] = goString(a) !== null ? [goString(a)!, b] : [goString(b), a];
    if (want === null) continue;
    if (target === 'm.Sender.String()') c.from = addressOf(want);
    else if (target === 'm.ToList[0].String()') c.to = addressOf(want);
    else if (target === 'm.Subject') c.subject = want;
    else if (target === 'string(m.PlainBody)') c.text = want;
    else if (/^m\.Attachments\[\d+\]\.Name$/.test(target)) {
      if (!c.names.includes(want)) c.names.push(want);
    } else if (/^string\(m\.Attachments\[\d+\]\.Data\)$/.test(target)) {
      if (!c.contents.includes(want)) c.contents.push(want);
    }
  }
  const len = /\b(?:assert|require)\.Len\(t,\s*m\.Attachments,\s*(\d+)\)/.exec(body);
  if (len) c.count = Number(len[1]);
}

/** Whether a case asserts anything scored. */
const expects = (c: ProtonCase): boolean =>
  [c.from, c.to, c.subject, c.text, c.count].some((x) => x !== undefined) ||
  c.names.length + c.contents.length > 0;

/** Every testdata mail that parser_test.go parses with Parse, with its assertions, sorted by name. */
export function protonCases(root: string): ProtonCase[] {
  const file = path.join(root, DIR, 'parser_test.go');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const starts = [...src.matchAll(/^func Test\w*\(t \*testing\.T\) \{$/gm)];
  const byEml = new Map<string, ProtonCase>();
  starts.forEach((t, i) => {
    const body = src.slice(t.index, starts[i + 1]?.index ?? src.length);
    const emls = [...body.matchAll(/getFileReader\("([^"]+\.eml)"\)/g)].map((m) => m[1]!);
    if (new Set(emls).size !== 1 || !/\bm, err :?= Parse\(f\)/.test(body)) return;
    const eml = emls[0]!;
    const c = byEml.get(eml) ?? { eml, names: [], contents: [] };
    readTest(c, body);
    byEml.set(eml, c);
  });
  return [...byEml.values()]
    .filter(
      (c) =>
        expects(c) &&
        existsSync(path.join(root, DIR, 'testdata', c.eml)) &&
        neverScored(
          root,
          readFileSync(path.join(root, DIR, 'testdata', c.eml)),
          'ProtonMail+proton-bridge',
        ),
    )
    .sort((a, b) => (a.eml < b.eml ? -1 : a.eml > b.eml ? 1 : 0));
}

// A reviewed divergence (tune half), a rule about the mail: the project's text of an HTML-only mail
// marks bold words with asterisks ("*HTML mail*"); Inlet shows the words.
const EMPHASIS =
  "the project's text rendering of HTML marks bold words with asterisks; Inlet's shows the words";

function scoreCase(fields: Record<string, FieldScore>, c: ProtonCase, got: PreparedMessage) {
  const id = c.eml;
  if (c.from !== undefined) scoreFrom(fields, id, c.from, got.parsed.from?.address);
  if (c.to !== undefined)
    score(
      fields,
      'to',
      c.to.toLowerCase() === (got.parsed.to[0]?.address ?? '').toLowerCase(),
      id,
      `expected ${c.to} got ${got.parsed.to.map((a) => a.address).join(', ')}`,
    );
  if (c.subject !== undefined) scoreSubject(fields, id, c.subject, got.parsed.subject);
  if (c.text !== undefined)
    scoreText(
      fields,
      id,
      c.text,
      got.text,
      got.parsed.text === null && ws(c.text.replace(/\*([^*\n]+)\*/g, '$1')) === ws(got.text ?? '')
        ? EMPHASIS
        : null,
    );
  const listed = got.attachments.map((a) => `${a.filename} ${a.declaredType}`).join(', ');
  if (c.count !== undefined)
    score(
      fields,
      'attachment count',
      c.count === got.attachments.length,
      id,
      `expected ${c.count} got ${got.attachments.length} (${listed})`,
    );
  for (const name of c.names)
    score(
      fields,
      'attachment names',
      got.attachments.some((a) => a.filename === name),
      id,
      `missing ${JSON.stringify(name)} (${listed})`,
    );
  for (const content of c.contents)
    score(
      fields,
      'attachment content',
      got.attachments.some((a) => a.content.toString('utf8') === content),
      id,
      `no file holding ${JSON.stringify(content.slice(0, 40))} (${listed})`,
    );
}

/** ProtonMail/proton-bridge: pkg/message/testdata mail against parser_test.go. */
export const protonSet = (root: string, role: Role): Promise<SetReport | null> =>
  scoreHalf(
    'ProtonMail/proton-bridge (Go, round 8, fresh)',
    role,
    protonCases(root),
    (c) => ({ id: c.eml, raw: readFileSync(path.join(root, DIR, 'testdata', c.eml)) }),
    scoreCase,
  );
