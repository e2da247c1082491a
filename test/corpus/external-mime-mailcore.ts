// MailCore/mailcore2 (C++): unittest/data/parser/input/** holds mail (jwz's classic MIME torture
// mbox split one message a file, and a few single messages); output/** the same path holds what
// MCOMessageParser must give, as JSON: the header (subject, from) and the part tree (partType
// single / multipart/* / message, mimeType, filename, inline or attachment disposition). Scored:
// subject, a From address that has a domain, the attached file names and the attachment count.
// Cases are split in halves on their sorted paths (external-score.ts), fixed before any case was
// read.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { sanitizeFilename } from '../../src/ingest/stages/attachments-meta.js';
import {
  type FieldScore,
  half,
  isListedFile,
  isNotAFileType,
  NOT_A_FILE,
  preparedOrMiss,
  type Role,
  score,
  scoreFiles,
  scoreSubject,
  type SetReport,
} from './external-score.js';

interface Part {
  partType?: string;
  mimeType?: string;
  filename?: string;
  attachment?: string;
  mainPart?: Part;
  parts?: { items?: Part[] };
}
interface Expected {
  header?: { subject?: string; from?: { mailbox?: string } };
  mainPart?: Part;
}

// Reviewed divergences (each checked by hand on the mail; the rules name the class, not files).
const NO_SUBTYPE =
  'the project reads a Content-Type with no subtype ("X-BE2; 12") as an unknown file type; Inlet reads it as text/plain, as RFC 2045 5.2 says';
const NO_PARTS = 'the project found no parts in a multipart that has them; Inlet lists them';
const OPAQUE_SIGNED =
  'the project lists an opaque-signed S/MIME object (pkcs7-mime signed-data) as the only file; Inlet shows the text and files it wraps and lists the object after them, as it lists a detached signature';
const isPkcs7 = (type: string | undefined) => /^application\/(x-)?pkcs7-mime$/i.test(type ?? '');
const PATH_NAME =
  'the project keeps a directory path in the file name; Inlet shows only its last segment (a name never carries a path)';

const tree = (p: Part | undefined): Part[] =>
  p ? [p, ...tree(p.mainPart), ...(p.parts?.items ?? []).flatMap(tree)] : [];

/**
 * What a mail client lists as files: every leaf that is not body text (a text part with no
 * filename and no attachment disposition), and every attached message as one file (its own parts
 * are the attached message's business).
 */
function files(p: Part | undefined, top = true): { names: string[]; count: number } {
  if (!p) return { names: [], count: 0 };
  if (p.partType === 'message' && !top) return { names: [], count: 1 };
  if (p.partType === 'message') return files(p.mainPart, false);
  if (p.partType?.startsWith('multipart/')) {
    const out = { names: [] as string[], count: 0 };
    for (const c of p.parts?.items ?? []) {
      const f = files(c, false);
      out.names.push(...f.names);
      out.count += f.count;
    }
    return out;
  }
  const file = isListedFile(p.mimeType ?? '', Boolean(p.filename), p.attachment === '1');
  return { names: p.filename ? [p.filename] : [], count: file ? 1 : 0 };
}

function walk(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel)).flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    return statSync(path.join(dir, r)).isDirectory() ? walk(dir, r) : [r];
  });
}

function scoreCase(
  fields: Record<string, FieldScore>,
  id: string,
  e: Expected,
  got: PreparedMessage,
) {
  const subject = e.header?.subject;
  if (subject !== undefined) scoreSubject(fields, id, subject, got.parsed.subject);
  const from = e.header?.from?.mailbox;
  // A bare word ("nsb", a local user of 1991) has no domain: no helpdesk can answer it.
  if (from?.includes('@')) {
    const have = got.parsed.from?.address ?? '';
    score(
      fields,
      'from',
      from.toLowerCase() === have.toLowerCase(),
      id,
      `expected ${from} got ${have}`,
    );
  }
  const want = files(e.mainPart);
  const parts = tree(e.mainPart);
  scoreFiles(
    fields,
    id,
    want,
    got,
    (name, gotNames) =>
      parts.some((p) => p.filename === name && isNotAFileType(p.mimeType))
        ? NOT_A_FILE
        : /[/\\]/.test(name) && gotNames.includes(sanitizeFilename(name).name)
          ? PATH_NAME
          : null,
    parts.some((p) => /\/unknown$/i.test(p.mimeType ?? ''))
      ? NO_SUBTYPE
      : // Its files are the objects alone; Inlet lists the one it unwrapped last (what it wraps,
        // an encrypted object too, comes before it).
        parts.filter((p) => isPkcs7(p.mimeType)).length === want.count &&
          isPkcs7(got.attachments.at(-1)?.declaredType)
        ? OPAQUE_SIGNED
        : want.count - parts.filter((p) => isNotAFileType(p.mimeType)).length ===
            got.attachments.length
          ? NOT_A_FILE
          : parts.some((p) => p.partType?.startsWith('multipart/') && !p.parts?.items?.length)
            ? NO_PARTS
            : null,
  );
}

/** The case ids (paths under input/ with an expectation), in the order the split is made on. */
export const mailcoreIds = (base: string): string[] =>
  walk(path.join(base, 'input'))
    .filter((id) => existsSync(path.join(base, 'output', id)))
    .sort();

export async function mailcoreSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'MailCore+mailcore2/unittest/data/parser');
  if (!existsSync(base)) return null;
  const chosen = half(mailcoreIds(base), role);
  const fields: Record<string, FieldScore> = {};
  for (const id of chosen) {
    const got = await preparedOrMiss(fields, id, readFileSync(path.join(base, 'input', id)));
    const expected = JSON.parse(readFileSync(path.join(base, 'output', id), 'utf8')) as Expected;
    if (got) scoreCase(fields, id, expected, got);
  }
  return { set: 'MailCore/mailcore2 (fresh)', role, cases: chosen.length, fields };
}
