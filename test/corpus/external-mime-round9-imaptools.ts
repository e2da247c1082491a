// A MIME set added in round 9 of issue #16, never scored before: ikvk/imap_tools (Python,
// Apache-2.0). tests/test_message.py parses each tests/messages/NAME.eml and compares every field
// of the result with the DATA dict of tests/messages_data/NAME.py. Scored from that dict:
// - `subject`, `from_` (the sender's address), `to` (the To addresses, in any order);
// - `text`: imap_tools joins every text/plain part without a file name; scored when it is not
//   empty (an HTML-only mail has no such text, while Inlet shows the HTML's text);
// - `attachments`: imap_tools lists every leaf part with a Content-ID or a file name, and every
//   message/rfc822 part; scored are the file names among Inlet's, the count, and each named
//   file's size (the length of its `payload` bytes).
// Most of its mail is the Ruby mail gem's fixtures, some with one header edited: those are left
// out (unseenMail), so are copies of any other set's mail.
// Cases are sorted by path and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { scoreHalf } from './external-mime-round8-shared.js';
import { FLATTENED, flattenedText, unseenMail } from './external-mime-round9-shared.js';
import {
  type FieldScore,
  type Role,
  score,
  scoreFiles,
  scoreFrom,
  scoreSubject,
  scoreText,
  type SetReport,
} from './external-score.js';
import { PyReader, type PyValue } from './py-literal.js';

const OWN = 'ikvk+imap_tools';
const MAIL = 'tests/messages';
const DATA = 'tests/messages_data';

/** A call in a data file (`dict(…)`, `EmailAddress(…)`, `datetime.datetime(…)`). */
interface PyCall {
  call: string;
  args: PyDataValue[];
  kwargs: Record<string, PyDataValue>;
}
type PyDataValue = PyValue | PyCall | PyDataValue[];

/** Python data with calls in it: literals are PyReader's, calls keep their arguments. */
class PyData {
  constructor(
    private readonly src: string,
    public i: number,
  ) {}

  private skip(): void {
    const m = /^(?:\s+|#[^\n]*)*/.exec(this.src.slice(this.i, this.i + 4000))!;
    this.i += m[0].length;
  }

  private list(close: string): PyDataValue[] {
    this.i++;
    const out: PyDataValue[] = [];
    for (;;) {
      this.skip();
      if (this.src[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.skip();
      if (this.src[this.i] === ',') this.i++;
    }
  }

  value(): PyDataValue {
    this.skip();
    const name = /^[A-Za-z_][\w.]*(?=\s*\()/.exec(this.src.slice(this.i, this.i + 200))?.[0];
    if (name) {
      this.i += name.length;
      this.skip();
      this.i++;
      const c: PyCall = { call: name, args: [], kwargs: {} };
      for (;;) {
        this.skip();
        if (this.src[this.i] === ')') {
          this.i++;
          return c;
        }
        const kw = /^(\w+)\s*=(?!=)/.exec(this.src.slice(this.i, this.i + 100));
        if (kw) {
          this.i += kw[0].length;
          c.kwargs[kw[1]!] = this.value();
        } else c.args.push(this.value());
        this.skip();
        if (this.src[this.i] === ',') this.i++;
      }
    }
    const open = this.src[this.i];
    if (open === '[' || open === '(') return this.list(open === '[' ? ']' : ')');
    const r = new PyReader(this.src.slice(this.i));
    const v = r.value();
    this.i += r.offset;
    return v;
  }
}

export interface ImapToolsFile {
  name?: string;
  size: number;
}
export interface ImapToolsCase {
  id: string;
  mail: Buffer;
  subject?: string;
  from?: string;
  to?: string[];
  text?: string;
  files?: ImapToolsFile[];
}

const str = (v: PyDataValue | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;

/** The DATA dict of one messages_data file, or null when it cannot be read as data. */
export function imapToolsData(src: string): Record<string, PyDataValue> | null {
  const at = src.indexOf('DATA = dict(');
  if (at < 0) return null;
  try {
    const v = new PyData(src, at + 'DATA = '.length).value();
    return typeof v === 'object' && v !== null && 'call' in v ? (v as PyCall).kwargs : null;
  } catch {
    return null;
  }
}

function caseOf(id: string, mail: Buffer, data: Record<string, PyDataValue>): ImapToolsCase {
  const c: ImapToolsCase = { id, mail };
  c.subject = str(data.subject);
  c.from = str(data.from_);
  if (Array.isArray(data.to) && data.to.every((a) => typeof a === 'string'))
    c.to = (data.to as string[]).map((a) => a.toLowerCase()).sort();
  c.text = str(data.text);
  if (Array.isArray(data.attachments))
    c.files = (data.attachments as PyDataValue[]).flatMap((a) => {
      const kw = (a as PyCall | null)?.kwargs;
      const payload = str(kw?.payload);
      if (!kw || payload === undefined) return [];
      return [{ name: str(kw.filename) || undefined, size: Buffer.from(payload, 'latin1').length }];
    });
  return c;
}

/** Every messages_data file with its mail, both readable and the mail new, sorted by path. */
export function imapToolsCases(root: string): ImapToolsCase[] {
  const dataDir = path.join(root, OWN, DATA);
  if (!existsSync(dataDir)) return [];
  const out: ImapToolsCase[] = [];
  const walk = (rel: string): void => {
    for (const n of readdirSync(path.join(dataDir, rel))) {
      const r = path.join(rel, n);
      if (statSync(path.join(dataDir, r)).isDirectory()) walk(r);
      else if (n.endsWith('.py')) {
        const eml = path.join(root, OWN, MAIL, r.replace(/\.py$/, '.eml'));
        if (!existsSync(eml)) continue;
        const data = imapToolsData(readFileSync(path.join(dataDir, r), 'utf8'));
        const mail = readFileSync(eml);
        if (data && unseenMail(root, mail, OWN))
          out.push(caseOf(r.replace(/\.py$/, ''), mail, data));
      }
    }
  };
  walk('');
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function scoreCase(fields: Record<string, FieldScore>, c: ImapToolsCase, got: PreparedMessage) {
  if (c.subject !== undefined) scoreSubject(fields, c.id, c.subject, got.parsed.subject);
  if (c.from) scoreFrom(fields, c.id, c.from, got.parsed.from?.address);
  if (c.to) {
    const have = got.parsed.to.map((a) => a.address.toLowerCase()).sort();
    score(
      fields,
      'to',
      have.join(',') === c.to.join(','),
      c.id,
      `expected ${c.to.join(', ')} got ${have.join(', ')}`,
    );
  }
  if (c.text)
    scoreText(
      fields,
      c.id,
      c.text,
      got.text,
      flattenedText(got, c.text)
        ? FLATTENED
        : base64Message(c.mail) && /[A-Za-z0-9+/]{60}/.test(c.text)
          ? UNDECODED_MESSAGE
          : null,
    );
  if (c.files) {
    scoreFiles(
      fields,
      c.id,
      { names: c.files.flatMap((f) => (f.name ? [f.name] : [])), count: c.files.length },
      got,
    );
    for (const f of c.files) {
      const same = got.attachments.find((a) => a.filename === f.name);
      if (!f.name || !same) continue;
      score(
        fields,
        'attachment sizes',
        same.content.length === f.size,
        c.id,
        `${f.name}: expected ${f.size} bytes got ${same.content.length}`,
        /^message\/rfc822$/i.test(same.declaredType) &&
          [1, 2].includes(f.size - same.content.length)
          ? REWRITTEN_MESSAGE
          : null,
      );
    }
  }
}

// Reviewed divergences (tune half), each a rule about the mail: text of an attached message read
// into the text (FLATTENED), or its undecoded base64 (UNDECODED_MESSAGE); an attached message a
// line break longer than in the mail (REWRITTEN_MESSAGE).
const REWRITTEN_MESSAGE =
  "the project's copy of an attached message is Python's re-serialisation, a line break longer; Inlet keeps the part's bytes up to the line break that belongs to the next boundary (RFC 2046 5.1.1)";

const UNDECODED_MESSAGE =
  'the project leaves a base64-encoded attached message undecoded and reads its base64 into the text; Inlet decodes it and keeps it as one attached .eml, as mail clients do';
/** Whether the mail holds a message/rfc822 part sent in base64 (RFC 2046 5.2.1 forbids it; clients decode it). */
const base64Message = (mail: Buffer): boolean =>
  mail
    .toString('latin1')
    .split(/\r?\n\r?\n/)
    .some(
      (block) =>
        /^content-type:\s*message\/rfc822\b/im.test(block) &&
        /^content-transfer-encoding:\s*base64\b/im.test(block),
    );

/** ikvk/imap_tools: tests/messages mail against tests/messages_data. */
export const imapToolsSet = (root: string, role: Role): Promise<SetReport | null> =>
  scoreHalf(
    'ikvk/imap_tools (Python, round 9, fresh)',
    role,
    imapToolsCases(root),
    (c) => ({ id: c.id, raw: c.mail }),
    scoreCase,
  );
