// A MIME set added in round 7 of issue #16, never scored before: Webklex/php-imap (PHP, MIT).
// tests/messages/NAME.eml is read by `$this->getFixture("NAME.eml")` in the PHPUnit tests under
// tests/fixtures/ and tests/issues/, followed by assertEquals/assertSame/assertCount on the parsed
// message: its subject, getTextBody(), from->first()->mail, the attachment count, and per attachment
// (`$attachment = …` starts one) its file name and the sha256 of its content. Every assertion of one
// of those kinds is a scored field; the rest (dates, part numbers, raw HTML) are Webklex's API.
// How the project's expectations are read (checked on tune cases):
// - The file name is the Content-Disposition filename (`$attachment->filename`, what mail clients
//   show), else the Content-Type name (`->name`); a made-up name for a part that names none is not.
// - `->size` is the part's length as transfer-encoded in the mail (4 for a 3-byte base64 file), not
//   the file's, so it is not scored; the content hash checks the file's bytes exactly.
// - The file name hashed (`hash("sha256", $attachment->filename)`) is, where the mail gives the name
//   twice, the ISO-8859-15 copy with '?' for what that charset cannot write; Inlet shows the full
//   Unicode name, so a miss that matches that lossy copy is a reviewed divergence (LOSSY_NAME).
// - An attached message (message/*) is given with CRLF line ends and no final line end; the file's
//   own line ends are LF, so for those parts the hash is compared with line ends as the project has
//   them.
// A case is one fixture (the assertions after its getFixture call, up to the next one); cases are
// sorted by fixture name and split in halves (firstHalf), fixed before any case was scored.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedAttachment, PreparedMessage } from '../../src/ingest/prepare.js';
import { neverScored } from './external-round7-fresh.js';
import {
  type FieldScore,
  firstHalf,
  preparedOrMiss,
  type Role,
  score,
  scoreFrom,
  scoreSubject,
  scoreText,
  type SetReport,
} from './external-score.js';
import { PhpReader, type PhpValue } from './php-literal.js';

interface WantFile {
  /** Content-Disposition filename, else the Content-Type name. */
  name?: string;
  nameSha256?: string;
  sha256?: string;
}

export interface WebklexCase {
  eml: string;
  subject?: string;
  text?: string;
  from?: string;
  count?: number;
  files: WantFile[];
}

/** Each assert call in `src`: its expected value and the expression it is compared with. */
function assertions(src: string): { at: number; want: PhpValue; target: string }[] {
  const out: { at: number; want: PhpValue; target: string }[] = [];
  for (const m of src.matchAll(/\bassert(?:Equals|Same|Count)\s*\(/g)) {
    const reader = new PhpReader(src, m.index + m[0].length);
    const want = reader.value();
    const comma = src.indexOf(',', reader.pos);
    if (comma < 0) continue;
    let depth = 0;
    let end = comma + 1;
    for (; end < src.length; end++) {
      const c = src[end];
      if (c === '(' || c === '[') depth++;
      else if (c === ')' || c === ']') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    out.push({ at: m.index, want, target: src.slice(comma + 1, end).replace(/\s+/g, '') });
  }
  return out;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The hash of a file's bytes; of an attached message's with line ends as the project gives them. */
const contentSha256 = (a: PreparedAttachment): string =>
  a.declaredType.startsWith('message/') ? sha256(crlfTrimmed(a)) : a.sha256;

// A reviewed divergence (tune half), a rule about the mail, not a case:
const LOSSY_NAME =
  "the project hashes the file name's ISO-8859-15 copy (characters it cannot write as '?'); Inlet shows the full name the mail gives in Unicode";
const LATIN9 = new Set(
  new TextDecoder('iso-8859-15').decode(Uint8Array.from({ length: 256 }, (_, i) => i)),
);
/** A name as written in ISO-8859-15, where characters it has no byte for become '?'. */
const latin9Copy = (name: string): string =>
  [...name].map((ch) => (LATIN9.has(ch) ? ch : '?')).join('');
/** The part's bytes with CRLF line ends and the final line ends dropped. */
const crlfTrimmed = (a: PreparedAttachment): Buffer =>
  Buffer.from(
    a.content
      .toString('latin1')
      .replace(/\r?\n/g, '\r\n')
      .replace(/(\r\n)+$/, ''),
    'latin1',
  );

/** A part that names no file gets a made-up name (8 hex digits of a hash): not the mail's. */
const madeUp = (name: string): boolean => /^[0-9a-f]{8}$/.test(name);

const COUNT_TARGET = /^\$(?:message->attachments\(\)|attachments)(?:->count\(\))?$/;

/** The fixture cases of one test file: what is asserted after each getFixture call. */
function casesOf(src: string): WebklexCase[] {
  const calls = [...src.matchAll(/getFixture\(\s*["']([^"']+\.eml)["']/g)];
  return calls.map((call, i) => {
    const segment = src.slice(call.index, calls[i + 1]?.index ?? src.length);
    const c: WebklexCase = { eml: call[1]!, files: [] };
    const starts = [...segment.matchAll(/\$attachment\s*=/g)].map((m) => m.index);
    for (const a of assertions(segment)) {
      const t = a.target.replace(/^\(string\)/, '');
      const file = starts.filter((s) => s < a.at).length - 1;
      const current = file >= 0 ? (c.files[file] ??= {}) : null;
      if (/^\$message->(?:subject|getSubject\(\))$/.test(t) && typeof a.want === 'string')
        c.subject = a.want;
      else if (t === '$message->getTextBody()' && typeof a.want === 'string') c.text = a.want;
      else if (/^\$(?:message->from->first\(\)|from)->mail$/.test(t) && typeof a.want === 'string')
        c.from = a.want;
      else if (COUNT_TARGET.test(t) && typeof a.want === 'number') c.count = a.want;
      else if (current && typeof a.want === 'string' && t === '$attachment->filename')
        current.name = madeUp(a.want) ? undefined : a.want;
      else if (current && typeof a.want === 'string' && t === '$attachment->name')
        current.name ??= madeUp(a.want) ? undefined : a.want;
      else if (
        current &&
        typeof a.want === 'string' &&
        /^hash\(["']sha256["'],\$attachment->filename\)$/.test(t)
      )
        current.nameSha256 = a.want.toLowerCase();
      else if (
        current &&
        typeof a.want === 'string' &&
        /^hash\(["']sha256["'],\$attachment->content\)$/.test(t)
      )
        current.sha256 = a.want.toLowerCase();
    }
    return c;
  });
}

function scoreCase(fields: Record<string, FieldScore>, c: WebklexCase, got: PreparedMessage) {
  const id = c.eml;
  if (c.subject !== undefined) scoreSubject(fields, id, c.subject, got.parsed.subject);
  if (c.from !== undefined) scoreFrom(fields, id, c.from, got.parsed.from?.address);
  if (c.text !== undefined) scoreText(fields, id, c.text, got.text);
  const listed = got.attachments.map((a) => `${a.filename} ${a.size}`).join(', ');
  if (c.count !== undefined)
    score(
      fields,
      'attachment count',
      c.count === got.attachments.length,
      id,
      `expected ${c.count} got ${got.attachments.length} (${listed})`,
    );
  for (const f of c.files) {
    if (f.nameSha256 !== undefined || f.name !== undefined)
      score(
        fields,
        'attachment names',
        got.attachments.some((a) =>
          f.nameSha256 !== undefined ? sha256(a.filename) === f.nameSha256 : a.filename === f.name,
        ),
        id,
        `missing ${JSON.stringify(f.name ?? f.nameSha256)} (${listed})`,
        got.attachments.some((a) => sha256(latin9Copy(a.filename)) === f.nameSha256)
          ? LOSSY_NAME
          : null,
      );
    if (f.sha256 !== undefined)
      score(
        fields,
        'attachment content',
        got.attachments.some((a) => contentSha256(a) === f.sha256),
        id,
        `no attachment with the content of ${JSON.stringify(f.name ?? '?')} (${listed})`,
      );
  }
}

/** Every Webklex/php-imap fixture case under `root` (the first test of a mail), sorted by name. */
export function webklexCases(root: string): WebklexCase[] {
  const dir = path.join(root, 'Webklex+php-imap/tests');
  if (!existsSync(path.join(dir, 'messages'))) return [];
  const byEml = new Map<string, WebklexCase>();
  for (const sub of ['fixtures', 'issues']) {
    if (!existsSync(path.join(dir, sub))) continue;
    for (const f of readdirSync(path.join(dir, sub))
      .filter((n) => n.endsWith('Test.php'))
      .sort())
      for (const c of casesOf(readFileSync(path.join(dir, sub, f), 'utf8')))
        if (
          !byEml.has(c.eml) &&
          existsSync(path.join(dir, 'messages', c.eml)) &&
          neverScored(root, readFileSync(path.join(dir, 'messages', c.eml)))
        )
          byEml.set(c.eml, c);
  }
  return [...byEml.values()].sort((a, b) => (a.eml < b.eml ? -1 : a.eml > b.eml ? 1 : 0));
}

/** Webklex/php-imap: tests/messages/*.eml against the fixture and issue tests. */
export async function webklexSet(root: string, role: Role): Promise<SetReport | null> {
  const dir = path.join(root, 'Webklex+php-imap/tests');
  const cases = webklexCases(root);
  if (cases.length === 0) return null;
  const chosen = firstHalf(cases, role);
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const got = await preparedOrMiss(
      fields,
      c.eml,
      readFileSync(path.join(dir, 'messages', c.eml)),
    );
    if (got) scoreCase(fields, c, got);
  }
  return { set: 'Webklex/php-imap (round 7, fresh)', role, cases: chosen.length, fields };
}
