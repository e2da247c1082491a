// php/pecl-mail-mailparse (C, PHP extension): tests/parse_test_messages.phpt parses each
// tests/testdata/NAME.txt (or .txt.gz) and compares mailparse_msg_get_part_data() of every part with
// NAME.exp: "Part 1.2" headings, then `key => string(n) "value"` lines (content-type,
// content-disposition, disposition-filename, content-name, …). Scored: the attached file names
// and the attachment count, read the way external-mime-mailcore.ts reads MailCore's tree (files
// are the leaves that are not body text; an attached message is one file). Cases are split in
// halves on their sorted names (external-score.ts), fixed before any case was read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import {
  type FieldScore,
  half,
  isListedFile,
  isNotAFileType,
  NOT_A_FILE,
  preparedOrMiss,
  type Role,
  scoreFiles,
  type SetReport,
} from './external-score.js';

type PartData = Map<string, string>;

/** Part number → its string fields. */
function parts(exp: string): Map<string, PartData> {
  const out = new Map<string, PartData>();
  let current: PartData | null = null;
  for (const line of exp.split('\n')) {
    const heading = /^\s*Part ([\d.]+)\s*$/.exec(line);
    if (heading) out.set(heading[1]!, (current = new Map()));
    const field = /^\s*([\w-]+) => string\(\d+\) "(.*)"\s*$/.exec(line);
    if (field && current) current.set(field[1]!, field[2]!);
  }
  return out;
}

function expectedFiles(all: Map<string, PartData>): { names: string[]; count: number } {
  const ids = [...all.keys()];
  const isParent = (id: string) => ids.some((o) => o.startsWith(`${id}.`));
  const type = (id: string) => (all.get(id)?.get('content-type') ?? 'text/plain').toLowerCase();
  // The top part and parts inside an attached message (their ancestors include a message/rfc822).
  const insideMessage = (id: string) =>
    ids.some(
      (o) => o !== id && id.startsWith(`${o}.`) && o !== '1' && type(o) === 'message/rfc822',
    );
  const out = { names: [] as string[], count: 0 };
  for (const id of ids) {
    if (insideMessage(id)) continue;
    const t = type(id);
    if (t === 'message/rfc822' && id !== '1') {
      out.count++;
      continue;
    }
    if (isParent(id)) continue;
    const d = all.get(id)!;
    const name = d.get('disposition-filename') ?? d.get('content-name');
    if (name) out.names.push(name);
    const attached = /^attachment/i.test(d.get('content-disposition') ?? '');
    if (isListedFile(t, Boolean(name), attached)) out.count++;
  }
  return out;
}

export async function phpMailparseSet(root: string, role: Role): Promise<SetReport | null> {
  const dir = path.join(root, 'php+pecl-mail-mailparse/tests/testdata');
  if (!existsSync(dir)) return null;
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.exp'))
    .map((f) => f.slice(0, -4))
    .sort();
  const chosen = half(names, role);
  const fields: Record<string, FieldScore> = {};
  for (const name of chosen) {
    const plain = path.join(dir, `${name}.txt`);
    const raw = existsSync(plain)
      ? readFileSync(plain)
      : gunzipSync(readFileSync(path.join(dir, `${name}.txt.gz`)));
    const got = await preparedOrMiss(fields, name, raw);
    if (!got) continue;
    const all = parts(readFileSync(path.join(dir, `${name}.exp`), 'utf8'));
    const want = expectedFiles(all);
    const notFiles = [...all.values()].filter((d) => isNotAFileType(d.get('content-type')));
    scoreFiles(
      fields,
      name,
      want,
      got,
      (n) =>
        notFiles.some((d) => (d.get('disposition-filename') ?? d.get('content-name')) === n)
          ? NOT_A_FILE
          : null,
      want.count - notFiles.length === got.attachments.length ? NOT_A_FILE : null,
    );
  }
  return { set: 'php/pecl-mail-mailparse (fresh)', role, cases: chosen.length, fields };
}
