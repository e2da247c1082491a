// DusanKasan/parsemail (Go): parsemail_test.go's TestParseEmail holds a map of numbered cases, each a
// mail (a Go string variable in the same file) with what its parser must give: subject, from, the
// text and HTML bodies, attachments (filename, content type, bytes) and embedded files (Content-ID,
// content type, base64 bytes). The project returns a body only from a text part it does not list as
// a file and compares bodies exactly; Inlet's text is compared with runs of whitespace as one space,
// its HTML (sanitised when stored) as the text it renders to. parsemail sorts files into attachments
// and embedded files; Inlet lists both as attachments (embedded ones flagged inline), so the count
// is their sum. Cases are split in halves on their sorted case numbers (external-score.ts), fixed
// before any case was read.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { htmlToText } from '../../src/ingest/stages/html-to-text.js';
import {
  type FieldScore,
  half,
  preparedOrMiss,
  type Role,
  score,
  type SetReport,
  ws,
} from './external-score.js';
import { braceBlock, goString, literalBody, literalFields } from './go-literal.js';

interface File {
  name: string | null;
  type: string;
  bytes: Buffer;
}
interface Case {
  id: string;
  mail: string;
  subject?: string;
  from?: string;
  text?: string;
  html?: string;
  files: File[];
}

/** A field's value as a Go string, or a string variable of the file it names. */
function stringValue(src: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const direct = goString(value.trim());
  if (direct !== null) return direct;
  const decl = new RegExp(`\\n(?:var|const) ${value.trim()} = `).exec(src);
  return decl ? (goString(src, decl.index + decl[0].length) ?? undefined) : undefined;
}

/** The positional items of a slice literal's body, each as its field map. */
const items = (body: string | null): Map<string, string>[] =>
  body === null
    ? []
    : [...literalFields(body).entries()]
        .filter(([k]) => /^\d+$/.test(k))
        .map(([, v]) => literalFields(literalBody(v) ?? ''));

function cases(src: string): Case[] {
  const start = src.indexOf('var testData = map[int]struct {');
  if (start < 0) return [];
  const typeEnd = braceBlock(src, src.indexOf('{', start)).end;
  const block = braceBlock(src, src.indexOf('{', typeEnd)).body;
  const out: Case[] = [];
  for (const [, item] of literalFields(block)) {
    const m = /^(\d+)\s*:\s*\{/.exec(item);
    if (!m) continue;
    const f = literalFields(braceBlock(item, item.indexOf('{')).body);
    const mail = stringValue(src, f.get('mailData'));
    if (mail === undefined) continue;
    const from = items(literalBody(f.get('from')))[0];
    out.push({
      id: `case ${m[1]}`,
      mail,
      subject: stringValue(src, f.get('subject')),
      from: from ? stringValue(src, from.get('Address')) : undefined,
      text: stringValue(src, f.get('textBody')),
      html: stringValue(src, f.get('htmlBody')),
      files: [
        ...items(literalBody(f.get('attachments'))).map((a) => ({
          name: stringValue(src, a.get('filename')) ?? null,
          type: stringValue(src, a.get('contentType')) ?? '',
          bytes: Buffer.from(stringValue(src, a.get('data')) ?? '', 'utf8'),
        })),
        ...items(literalBody(f.get('embeddedFiles'))).map((e) => ({
          name: null,
          type: stringValue(src, e.get('contentType')) ?? '',
          bytes: Buffer.from(stringValue(src, e.get('base64data')) ?? '', 'base64'),
        })),
      ],
    });
  }
  return out;
}

function scoreCase(fields: Record<string, FieldScore>, c: Case, got: PreparedMessage) {
  if (c.subject !== undefined)
    score(
      fields,
      'subject',
      ws(c.subject) === ws(got.parsed.subject),
      c.id,
      `expected ${JSON.stringify(c.subject)} got ${JSON.stringify(got.parsed.subject)}`,
    );
  if (c.from !== undefined) {
    const have = (got.parsed.from?.address ?? '').toLowerCase();
    score(fields, 'from', c.from.toLowerCase() === have, c.id, `expected ${c.from} got ${have}`);
  }
  if (c.text !== undefined || c.html === undefined) {
    const want = ws(c.text ?? '');
    const have = ws(got.text ?? '');
    // With no text part the project's text is empty, where Inlet derives one from the HTML.
    if (c.text !== undefined || got.html === null)
      score(
        fields,
        'text',
        want === have,
        c.id,
        `expected ${JSON.stringify(want.slice(0, 60))} got ${JSON.stringify(have.slice(0, 60))}`,
      );
  }
  if (c.html !== undefined) {
    const want = ws(htmlToText(c.html));
    const have = ws(htmlToText(got.html ?? ''));
    score(
      fields,
      'html',
      want === have,
      c.id,
      `expected ${JSON.stringify(want.slice(0, 60))} got ${JSON.stringify(have.slice(0, 60))}`,
    );
  }
  score(
    fields,
    'attachment count',
    c.files.length === got.attachments.length,
    c.id,
    `expected ${c.files.length} got ${got.attachments.length}`,
  );
  for (const f of c.files) {
    if (f.name !== null)
      score(
        fields,
        'attachment names',
        got.attachments.some((a) => a.filename === f.name),
        c.id,
        `missing ${f.name} (${got.attachments.map((a) => a.filename).join(', ')})`,
      );
    score(
      fields,
      'attachment content',
      got.attachments.some((a) => a.content.equals(f.bytes)),
      c.id,
      `no attachment of these ${f.bytes.length} bytes (${got.attachments.map((a) => a.size).join(',')})`,
    );
  }
}

export async function parsemailSet(root: string, role: Role): Promise<SetReport | null> {
  const testFile = path.join(root, 'DusanKasan+parsemail/parsemail_test.go');
  if (!existsSync(testFile)) return null;
  const all = cases(readFileSync(testFile, 'utf8'));
  const chosen = half(
    all.sort((a, b) => Number(a.id.slice(5)) - Number(b.id.slice(5))),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const got = await preparedOrMiss(fields, c.id, Buffer.from(c.mail, 'utf8'));
    if (got) scoreCase(fields, c, got);
  }
  return { set: 'DusanKasan/parsemail (fresh)', role, cases: chosen.length, fields };
}
