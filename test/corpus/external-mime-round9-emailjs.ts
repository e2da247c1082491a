// A MIME set added in round 9 of issue #16, never scored before: emailjs/emailjs-mime-parser (JS,
// MIT). src/mimeparser-unit.js writes each mail inline (`var fixture = '…' + '…'`), parses it
// (`const root = parse(fixture)`) and checks, of a single-part mail, the decoded body
// (`expect(new TextDecoder('utf-8').decode(root.content)).to.equal(V)`, V a literal or a
// `var expectedText = …` of the same test): scored as the text. Also scored: the decoded subject
// (`expect(root.headers['subject']).to.deep.equal([{ value: V, …`). The fixtures' `\xHH` escapes
// are bytes (the project parses the string as binary). A test whose mail is read with another
// decoder (an attachment) or whose expectation is computed is not scored. Cases are sorted by test
// name and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { scoreHalf } from './external-mime-round8-shared.js';
import { unseenMail } from './external-mime-round9-shared.js';
import {
  type FieldScore,
  type Role,
  scoreSubject,
  scoreText,
  type SetReport,
} from './external-score.js';
import { JsReader, JsUnreadable, type JsValue } from './js-data.js';

const OWN = 'emailjs+emailjs-mime-parser';

export interface EmailjsCase {
  id: string;
  mail: Buffer;
  text?: string;
  subject?: string;
}

/**
 * The data expression at `at`. The project writes no semicolons, so the expression ends where the
 * next statement starts; one followed by '.', '(' or '[' is not plain data (a call on it).
 */
function readJs(src: string, at: number): JsValue | null {
  try {
    const r = new JsReader(src, at);
    const v = r.value();
    return /^[.([]/.test(src.slice(r.pos, r.pos + 1)) ? null : v;
  } catch (e) {
    if (e instanceof JsUnreadable || e instanceof RangeError) return null;
    throw e;
  }
}

/** A string of code points under 256 as those bytes; other text as UTF-8. */
const bytesOf = (v: JsValue): Buffer | null =>
  typeof v === 'string'
    ? Buffer.from(v, /^[\0-\xff]*$/.test(v) ? 'latin1' : 'utf8')
    : Buffer.isBuffer(v)
      ? v
      : null;

/** The value bound to `name` by `var|let|const name = …` in `body`, if it is data. */
function bound(body: string, name: string): JsValue | null {
  const m = new RegExp(`\\b(?:var|let|const)\\s+${name}\\s*=\\s*`).exec(body);
  return m ? readJs(body, m.index + m[0].length) : null;
}

function caseOf(id: string, body: string): EmailjsCase | null {
  if (!/\bconst root = parse\(fixture\)/.test(body)) return null;
  const fixture = bound(body, 'fixture');
  const mail = fixture === null ? null : bytesOf(fixture);
  if (!mail) return null;
  const c: EmailjsCase = { id, mail };
  const text = /expect\(new TextDecoder\('utf-8'\)\.decode\(root\.content\)\)\.to\.equal\(\s*/.exec(
    body,
  );
  if (text) {
    const at = text.index + text[0].length;
    const v = body.startsWith('expectedText', at) ? bound(body, 'expectedText') : readJs(body, at);
    if (typeof v === 'string') c.text = v;
  }
  const subject = /expect\(root\.headers\['subject'\]\)\.to\.deep\.equal\(\[\{\s*value:\s*/.exec(
    body,
  );
  if (subject) {
    const v = readJs(body, subject.index + subject[0].length);
    if (typeof v === 'string') c.subject = v;
  }
  return c.text !== undefined || c.subject !== undefined ? c : null;
}

/** Every test of src/mimeparser-unit.js with inline mail and a scored check, sorted by name. */
export function emailjsCases(root: string): EmailjsCase[] {
  const file = path.join(root, OWN, 'src/mimeparser-unit.js');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const starts = [...src.matchAll(/^\s*it\('([^']+)'/gm)];
  const out: EmailjsCase[] = [];
  starts.forEach((t, i) => {
    const c = caseOf(t[1]!, src.slice(t.index, starts[i + 1]?.index ?? src.length));
    if (c && unseenMail(root, c.mail, OWN)) out.push(c);
  });
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function scoreCase(fields: Record<string, FieldScore>, c: EmailjsCase, got: PreparedMessage) {
  if (c.subject !== undefined) scoreSubject(fields, c.id, c.subject, got.parsed.subject);
  if (c.text !== undefined) scoreText(fields, c.id, c.text, got.text);
}

/** emailjs/emailjs-mime-parser: the inline mail of src/mimeparser-unit.js. */
export const emailjsSet = (root: string, role: Role): Promise<SetReport | null> =>
  scoreHalf(
    'emailjs/emailjs-mime-parser (JS, round 9, fresh)',
    role,
    emailjsCases(root),
    (c) => ({ id: c.id, raw: c.mail }),
    scoreCase,
  );
