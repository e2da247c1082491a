// SpamScope/mail-parser (Python): its unittest file names a test mail with
// `mailparser.parse_from_file(mail_x)` and asserts the number of attachments
// (`len(mail.attachments)`) or the MD5 of a written attachment; those assertions are the
// expectations, read up to the next parse call. Few cases, among them malformed MIME (a start
// boundary that is never found) and a uuencoded attachment. Split in halves like the other sets.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { type FieldScore, half, type Role, score, type SetReport } from './external-score.js';

interface Case {
  mail: string;
  count?: number;
  files: { name: string; md5: string }[];
}

function cases(testFile: string): Case[] {
  const src = readFileSync(testFile, 'utf8');
  const byMail = new Map<string, Case>();
  const calls = [...src.matchAll(/mailparser\.parse_from_file\((mail_\w+)\)/g)];
  calls.forEach((m, i) => {
    const seg = src.slice(m.index, calls[i + 1]?.index ?? src.length).split(/\n {4}def /)[0]!;
    const c = byMail.get(m[1]!) ?? { mail: m[1]!, files: [] };
    const count =
      /len\(mail\._?attachments\)\s*\n\s*self\.assertEqual\((?:\w+,\s*)?(\d+)\)/.exec(seg) ??
      /self\.assertEqual\(len\(mail\._?attachments\),\s*(\d+)\)/.exec(seg) ??
      /result = len\(mail\.attachments\)\s*\n\s*self\.assertEqual\((\d+),\s*result\)/.exec(seg);
    if (count) c.count = Number(count[1]);
    const file =
      /os\.path\.join\(temp_dir,\s*"([^"]+)"\)[\s\S]*?assertEqual\(md5\.hexdigest\(\),\s*"([0-9a-f]{32})"\)/.exec(
        seg,
      );
    if (file) c.files.push({ name: file[1]!, md5: file[2]! });
    if (c.count !== undefined || c.files.length > 0) byMail.set(c.mail, c);
  });
  return [...byMail.values()].sort((a, b) => a.mail.localeCompare(b.mail));
}

export async function spamscopeSet(root: string, role: Role): Promise<SetReport | null> {
  const dir = path.join(root, 'SpamScope+mail-parser/tests');
  if (!existsSync(path.join(dir, 'test_mail_parser.py'))) return null;
  const picked = half(
    cases(path.join(dir, 'test_mail_parser.py')).filter((c) =>
      existsSync(path.join(dir, 'mails', c.mail)),
    ),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const c of picked) {
    const got = await prepareMessage(
      readFileSync(path.join(dir, 'mails', c.mail)),
      defaultIngestLimits,
    );
    if (c.count !== undefined)
      score(
        fields,
        'attachment count',
        got.attachments.length === c.count,
        c.mail,
        `expected ${c.count} got ${got.attachments.length}`,
      );
    for (const f of c.files) {
      const a = got.attachments.find((x) => x.filename === f.name);
      score(
        fields,
        'attachment content',
        a !== undefined && createHash('md5').update(a.content).digest('hex') === f.md5,
        c.mail,
        `${f.name}: ${a ? `${a.size} bytes, other content` : 'missing'}`,
      );
    }
  }
  return { set: 'SpamScope/mail-parser', role, cases: picked.length, fields };
}
