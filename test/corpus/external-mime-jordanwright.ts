// jordan-wright/email (Go): email_test.go's reader tests each hold one mail (`raw := []byte(…)`),
// read with NewEmailFromReader, and what it must give as an Email literal (`ex := &Email{…}`):
// Subject, From, Text and HTML compared exactly; some also state `len(e.Attachments) != N`. Inlet's
// text is compared with runs of whitespace as one space, its HTML as the text it renders to. Cases
// are split in halves on their sorted test function names (external-score.ts), fixed before any
// case was read.
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
import { braceBlock, goString, literalFields } from './go-literal.js';

interface Case {
  id: string;
  raw: string;
  fields: Map<string, string>;
  attachments: number | null;
}

/** A Go string, or []byte("…") / []byte(`…`), as its text. */
function text(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().replace(/^\[\]byte\(([\s\S]*)\)$/, '$1');
  return goString(v) ?? undefined;
}

function cases(src: string): Case[] {
  const out: Case[] = [];
  for (const m of src.matchAll(/\nfunc (Test\w+)\(t \*testing\.T\) \{([\s\S]*?)\n\}/g)) {
    const body = m[2]!;
    const ex = /\bex := &Email\{/.exec(body);
    const raw = /\braw := \[\]byte\(/.exec(body);
    if (!ex || !raw || !/NewEmailFromReader\(bytes\.NewReader\(raw\)\)/.test(body)) continue;
    const mail = goString(body, raw.index + raw[0].length);
    if (mail === null) continue;
    const count = /len\(e\.Attachments\) != (\d+)/.exec(body);
    out.push({
      id: m[1]!,
      raw: mail,
      fields: literalFields(braceBlock(body, ex.index + ex[0].length - 1).body),
      attachments: count ? Number(count[1]) : null,
    });
  }
  return out;
}

function scoreCase(fields: Record<string, FieldScore>, c: Case, got: PreparedMessage) {
  const subject = text(c.fields.get('Subject'));
  if (subject !== undefined)
    score(
      fields,
      'subject',
      ws(subject) === ws(got.parsed.subject),
      c.id,
      `expected ${JSON.stringify(subject)} got ${JSON.stringify(got.parsed.subject)}`,
    );
  const from = text(c.fields.get('From'));
  const address = from ? (/<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim()) : undefined;
  if (address !== undefined) {
    const have = got.parsed.from?.address ?? '';
    score(fields, 'from', address.toLowerCase() === have.toLowerCase(), c.id, `got ${have}`);
  }
  const want = text(c.fields.get('Text'));
  if (want !== undefined)
    score(
      fields,
      'text',
      ws(want) === ws(got.text ?? ''),
      c.id,
      `expected ${JSON.stringify(ws(want).slice(0, 60))} got ${JSON.stringify(ws(got.text ?? '').slice(0, 60))}`,
    );
  const html = text(c.fields.get('HTML'));
  if (html !== undefined)
    score(
      fields,
      'html',
      ws(htmlToText(html)) === ws(htmlToText(got.html ?? '')),
      c.id,
      `expected ${JSON.stringify(ws(htmlToText(html)).slice(0, 60))} got ${JSON.stringify(ws(htmlToText(got.html ?? '')).slice(0, 60))}`,
    );
  if (c.attachments !== null)
    score(
      fields,
      'attachment count',
      c.attachments === got.attachments.length,
      c.id,
      `expected ${c.attachments} got ${got.attachments.length}`,
    );
}

export async function jordanWrightSet(root: string, role: Role): Promise<SetReport | null> {
  const testFile = path.join(root, 'jordan-wright+email/email_test.go');
  if (!existsSync(testFile)) return null;
  const chosen = half(
    cases(readFileSync(testFile, 'utf8')).sort((a, b) => (a.id < b.id ? -1 : 1)),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const got = await preparedOrMiss(fields, c.id, Buffer.from(c.raw, 'utf8'));
    if (got) scoreCase(fields, c, got);
  }
  return { set: 'jordan-wright/email (fresh)', role, cases: chosen.length, fields };
}
