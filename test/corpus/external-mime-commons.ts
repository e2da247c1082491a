// apache/commons-email (Java): src/test/resources/eml/*.eml, each opened by a test in
// MimeMessageParserTest.java that asserts on the MimeMessageParser. Read here per test method that
// opens one file: the subject (assertEquals("…", getSubject())), whether there is an HTML body
// (hasHtmlContent()) and the number of attachments (attachmentList.size(), or none when
// hasAttachments() is false). The mails are split in halves on their sorted file names
// (external-score.ts), fixed before any case was read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';

interface Check {
  fn: string;
  subject?: string;
  html?: boolean;
  attachments?: number;
}

/** A Java string literal's text (escapes \" \\ \n \t and \uXXXX). */
const javaString = (s: string) =>
  s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) =>
    e[0] === 'u'
      ? String.fromCharCode(parseInt(e.slice(1), 16))
      : (({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[e] ?? e),
  );

function checks(src: string): Map<string, Check[]> {
  const out = new Map<string, Check[]>();
  const methods = src.split(/\n\s*@Test\b/).slice(1);
  for (const body of methods) {
    const files = new Set([...body.matchAll(/eml\/([\w.-]+\.eml)/g)].map((m) => m[1]!));
    if (files.size !== 1) continue;
    const file = [...files][0]!;
    const c: Check = { fn: /void (\w+)\(/.exec(body)?.[1] ?? '?' };
    const subject = /assertEquals\("((?:[^"\\]|\\.)*)", mimeMessageParser\.getSubject\(\)\)/.exec(
      body,
    );
    if (subject) c.subject = javaString(subject[1]!);
    const html = /assert(True|False)\(mimeMessageParser\.hasHtmlContent\(\)\)/.exec(body);
    if (html) c.html = html[1] === 'True';
    const count = /assertEquals\((\d+), attachmentList\.size\(\)\)/.exec(body);
    if (count) c.attachments = Number(count[1]);
    else if (/assertFalse\(mimeMessageParser\.hasAttachments\(\)\)/.test(body)) c.attachments = 0;
    out.set(file, [...(out.get(file) ?? []), c]);
  }
  return out;
}

export async function commonsEmailSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'apache+commons-email/commons-email2-jakarta/src/test');
  const testFile = path.join(
    base,
    'java/org/apache/commons/mail2/jakarta/util/MimeMessageParserTest.java',
  );
  if (!existsSync(testFile)) return null;
  const byFile = checks(readFileSync(testFile, 'utf8'));
  const dir = path.join(base, 'resources/eml');
  const names = half(
    readdirSync(dir)
      .filter((n) => n.endsWith('.eml'))
      .sort(),
    role,
  ).filter((n) => byFile.has(n));
  const fields: Record<string, FieldScore> = {};
  for (const n of names) {
    let got;
    try {
      got = await prepareMessage(readFileSync(path.join(dir, n)), defaultIngestLimits);
      score(fields, 'parsed', true, n);
    } catch (e) {
      score(fields, 'parsed', false, n, `threw ${(e as Error).message}`);
      continue;
    }
    for (const c of byFile.get(n)!) {
      const id = `${n} (${c.fn})`;
      if (c.subject !== undefined)
        score(
          fields,
          'subject',
          ws(c.subject) === ws(got.parsed.subject),
          id,
          `expected ${JSON.stringify(c.subject)} got ${JSON.stringify(got.parsed.subject)}`,
        );
      if (c.html !== undefined)
        score(fields, 'html', c.html === (got.html !== null), id, `expected html ${c.html}`);
      if (c.attachments !== undefined)
        score(
          fields,
          'attachment count',
          c.attachments === got.attachments.length,
          id,
          `expected ${c.attachments} got ${got.attachments.length} (${got.attachments.map((a) => `${a.declaredType}${a.inline ? ' inline' : ''}`).join(', ')})`,
        );
    }
  }
  return { set: 'apache/commons-email', role, cases: names.length, fields };
}
