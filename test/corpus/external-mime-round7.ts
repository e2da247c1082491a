// A MIME set added in round 7 of issue #16, never scored before: Webklex/php-imap (PHP, MIT).
// tests/messages/NAME.eml is read by `$this->getFixture("NAME.eml")` in the PHPUnit tests under
// tests/fixtures/ and tests/issues/, followed by assertEquals/assertSame/assertCount on the parsed
// message: its subject, getTextBody(), from->first()->mail, the attachment count, and per attachment
// (`$attachment = …` starts one) its name, size and sha256 of the content. Every assertion of one of
// those kinds is a scored field; the rest (dates, part numbers, raw HTML) are Webklex's API.
// A case is one fixture (the assertions after its getFixture call, up to the next one); cases are
// sorted by fixture name and split in halves (firstHalf), fixed before any case was scored.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import {
  type FieldScore,
  firstHalf,
  preparedOrMiss,
  type Role,
  score,
  scoreSubject,
  type SetReport,
  ws,
} from './external-score.js';
import { PhpReader, type PhpValue } from './php-literal.js';

interface WantFile {
  name?: string;
  size?: number;
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
      else if (current && typeof a.want === 'string' && t === '$attachment->name')
        current.name = madeUp(a.want) ? undefined : a.want;
      else if (current && typeof a.want === 'string' && t === '$attachment->filename')
        current.name ??= madeUp(a.want) ? undefined : a.want;
      else if (current && typeof a.want === 'number' && t === '$attachment->size')
        current.size = a.want;
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
  if (c.from !== undefined) {
    const gotFrom = (got.parsed.from?.address ?? '').toLowerCase();
    score(
      fields,
      'from',
      c.from.toLowerCase() === gotFrom,
      id,
      `expected ${c.from} got ${gotFrom}`,
    );
  }
  if (c.text !== undefined) {
    const want = ws(c.text);
    const text = ws(got.text ?? '');
    score(
      fields,
      'text',
      want === text,
      id,
      `expected ${JSON.stringify(want.slice(0, 80))} got ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
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
    const byName =
      f.name === undefined ? undefined : got.attachments.find((a) => a.filename === f.name);
    if (f.name !== undefined)
      score(
        fields,
        'attachment names',
        byName !== undefined,
        id,
        `missing ${JSON.stringify(f.name)} (${listed})`,
      );
    if (f.sha256 !== undefined)
      score(
        fields,
        'attachment content',
        got.attachments.some((a) => a.sha256 === f.sha256),
        id,
        `no attachment with the content of ${JSON.stringify(f.name ?? '?')} (${listed})`,
      );
    if (f.size !== undefined) {
      const same = byName ?? got.attachments.find((a) => a.sha256 === f.sha256);
      score(
        fields,
        'attachment sizes',
        same?.size === f.size,
        id,
        `${JSON.stringify(f.name ?? '?')} expected ${f.size} got ${same?.size ?? 'no such file'}`,
      );
    }
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
        if (!byEml.has(c.eml) && existsSync(path.join(dir, 'messages', c.eml))) byEml.set(c.eml, c);
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
