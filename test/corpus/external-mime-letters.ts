// mnako/letters (Go): tests/*.txt mails, each with the Email its default parser must produce, written
// as a Go literal in letters_test.go (reflect.DeepEqual in the project's own test). Read here: the
// subject, the text (every text/plain part, joined), the files (InlineFiles and AttachedFiles:
// Inlet lists both as attachments, inline ones flagged), their names and decoded sizes. Only the
// cases run with letters.NewEmailParser() count; those with a filter option drop parts on purpose.
// The mails are split in halves on their sorted file names (external-score.ts), fixed before any
// case was read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';
import { braceBlock, goString, literalBody, literalFields } from './go-literal.js';

interface File {
  name: string | null;
  size: number;
}
interface Expected {
  subject: string | null;
  text: string;
  files: File[];
}

/** A ContentTypeHeader / ContentDispositionHeader literal's Params entry `key`. */
function param(header: string | undefined, key: string): string | null {
  const params = literalBody(literalFields(literalBody(header) ?? '').get('Params'));
  if (!params) return null;
  const m = new RegExp(`"${key}"\\s*:\\s*`).exec(params);
  return m ? goString(params, m.index + m[0].length) : null;
}

function files(value: string | undefined): File[] {
  const list = literalBody(value);
  if (!list) return [];
  return [...literalFields(list).entries()]
    .filter(([k]) => /^\d+$/.test(k))
    .map(([, item]) => {
      const f = literalFields(literalBody(item) ?? '');
      const data = literalBody(f.get('Data')) ?? '';
      return {
        name: param(f.get('ContentDisposition'), 'filename') ?? param(f.get('ContentType'), 'name'),
        size: data.split(',').filter((x) => x.trim() !== '').length,
      };
    });
}

/** Expectations per mail file, from the cases run with the default parser. */
function expectations(src: string): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const m of src.matchAll(
    /filepath:\s*"([^"]+)",\s*emailParser:\s*letters\.NewEmailParser\(\),\s*expectedEmail:\s*letters\.Email\{/g,
  )) {
    const email = literalFields(braceBlock(src, m.index + m[0].length - 1).body);
    const headers = literalFields(literalBody(email.get('Headers')) ?? '');
    const subject = headers.get('Subject');
    out.set(path.basename(m[1]!), {
      subject: subject === undefined ? null : goString(subject),
      text: goString(email.get('Text') ?? '""') ?? '',
      files: [...files(email.get('InlineFiles')), ...files(email.get('AttachedFiles'))],
    });
  }
  return out;
}

export async function lettersSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'mnako+letters');
  const testFile = path.join(base, 'letters_test.go');
  if (!existsSync(testFile)) return null;
  const byFile = expectations(readFileSync(testFile, 'utf8'));
  const names = half(readdirSync(path.join(base, 'tests')).sort(), role).filter((n) =>
    byFile.has(n),
  );
  const fields: Record<string, FieldScore> = {};
  for (const n of names) {
    const exp = byFile.get(n)!;
    let got;
    try {
      got = await prepareMessage(readFileSync(path.join(base, 'tests', n)), defaultIngestLimits);
      score(fields, 'parsed', true, n);
    } catch (e) {
      score(fields, 'parsed', false, n, `threw ${(e as Error).message}`);
      continue;
    }
    if (exp.subject !== null)
      score(
        fields,
        'subject',
        ws(exp.subject) === ws(got.parsed.subject),
        n,
        `expected ${JSON.stringify(exp.subject)} got ${JSON.stringify(got.parsed.subject)}`,
      );
    if (exp.text !== '') {
      const want = ws(exp.text);
      const have = ws(got.text ?? '');
      score(
        fields,
        'text',
        want === have,
        n,
        `expected ${JSON.stringify(want.slice(0, 70))} got ${JSON.stringify(have.slice(0, 70))}`,
      );
    }
    const atts = got.attachments;
    score(
      fields,
      'attachment count',
      exp.files.length === atts.length,
      n,
      `expected ${exp.files.length} got ${atts.length} (${atts.map((a) => `${a.declaredType}${a.inline ? ' inline' : ''}`).join(', ')})`,
    );
    for (const f of exp.files) {
      if (f.name !== null)
        score(
          fields,
          'attachment names',
          atts.some((a) => a.filename === f.name),
          n,
          `missing ${f.name} (${atts.map((a) => a.filename).join(', ')})`,
        );
      score(
        fields,
        'attachment sizes',
        atts.some((a) => a.size === f.size),
        n,
        `no attachment of ${f.size} bytes (${atts.map((a) => a.size).join(',')})`,
      );
    }
  }
  return { set: 'mnako/letters', role, cases: names.length, fields };
}
