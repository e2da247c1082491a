// jhillyerd/enmime (Go): envelope_test.go opens a test mail with test.OpenTestData("mail", X) and
// asserts on the Envelope. Read here, per test function: the text (`want := "…"` then
// `e.Text != want`, exact, or strings.Contains(e.Text, want)) and the attached files. enmime sorts
// files into Attachments, Inlines and OtherParts; Inlet lists every one as an attachment (inline
// ones flagged), so the count is scored only where a function states both Attachments and Inlines
// (OtherParts, when not stated, taken as 0). Cases are split in halves on their sorted mail names
// (external-score.ts), fixed before any case was read.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { type PreparedMessage, prepareMessage } from '../../src/ingest/prepare.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
// Reviewed divergences (each checked by hand on the mail; the rules name the class, not files).
const FIRST_ALTERNATIVE =
  'of several plain versions in a multipart/alternative the project shows the first; Inlet the last, the preferred one (RFC 2046 5.1.4), as mail clients do';
const JOIN_MARK =
  "the project puts a '--' line between the text parts it joins; Inlet joins them with a line break";

import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';
import { goString } from './go-literal.js';

interface Check {
  fn: string;
  text?: { want: string; exact: boolean };
  counts: Partial<Record<'Attachments' | 'Inlines' | 'OtherParts', number>>;
}

/** Checks per mail file, from the test functions that open exactly one file. */
function checks(src: string): Map<string, Check[]> {
  const out = new Map<string, Check[]>();
  for (const m of src.matchAll(/\nfunc (Test\w+)\(t \*testing\.T\) \{([\s\S]*?)\n\}/g)) {
    const body = m[2]!;
    const files = new Set(
      [...body.matchAll(/OpenTestData\("mail", "([\w.-]+)"\)/g)].map((x) => x[1]!),
    );
    if (files.size !== 1 || /t\.Run\(|for _, /.test(body)) continue;
    const c: Check = { fn: m[1]!, counts: {} };
    const cmp =
      /e\.Text != want\b/.exec(body) ?? /strings\.Contains\(e\.Text, want\)/.exec(body) ?? null;
    if (cmp) {
      const before = body.slice(0, cmp.index);
      const assign = [...before.matchAll(/\bwant :?= /g)].at(-1);
      const want = assign ? goString(before, assign.index + assign[0].length) : null;
      if (want !== null) c.text = { want, exact: cmp[0].startsWith('e.Text') };
    }
    for (const x of body.matchAll(/len\(e\.(Attachments|Inlines|OtherParts)\) (!=|>) (\d+)/g))
      if (x[2] === '!=' || x[3] === '0') c.counts[x[1] as keyof Check['counts']] = Number(x[3]);
    out.set([...files][0]!, [...(out.get([...files][0]!) ?? []), c]);
  }
  return out;
}

async function prepare(file: string): Promise<PreparedMessage | Error> {
  try {
    return await prepareMessage(readFileSync(file), defaultIngestLimits);
  } catch (e) {
    return e as Error;
  }
}

export async function enmimeSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'jhillyerd+enmime');
  const testFile = path.join(base, 'envelope_test.go');
  if (!existsSync(testFile)) return null;
  const byFile = checks(readFileSync(testFile, 'utf8'));
  const names = half(
    [...byFile.keys()].filter((n) => existsSync(path.join(base, 'testdata/mail', n))).sort(),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const n of names) {
    const got = await prepare(path.join(base, 'testdata/mail', n));
    if (got instanceof Error) {
      score(fields, 'parsed', false, n, `threw ${got.message}`);
      continue;
    }
    score(fields, 'parsed', true, n);
    const raw = readFileSync(path.join(base, 'testdata/mail', n), 'latin1');
    for (const c of byFile.get(n)!) {
      const id = `${n} (${c.fn})`;
      if (c.text) {
        const want = ws(c.text.want);
        const body = ws(got.text ?? '');
        score(
          fields,
          'text',
          c.text.exact ? want === body : body.includes(want),
          id,
          `expected ${c.text.exact ? '' : 'to contain '}${JSON.stringify(want.slice(0, 60))} got ${JSON.stringify(body.slice(0, 60))}`,
          c.text.exact && want.split(' -- ').join(' ') === body
            ? JOIN_MARK
            : /content-type:\s*multipart\/alternative/i.test(raw) &&
                body !== '' &&
                ws(raw).includes(want) &&
                ws(raw).includes(body)
              ? FIRST_ALTERNATIVE
              : null,
        );
      }
      const { Attachments: a, Inlines: i, OtherParts: o = 0 } = c.counts;
      if (a !== undefined && i !== undefined)
        score(
          fields,
          'attachment count',
          a + i + o === got.attachments.length,
          id,
          `expected ${a + i + o} got ${got.attachments.length} (${got.attachments.map((x) => `${x.declaredType}${x.inline ? ' inline' : ''}`).join(', ')})`,
        );
    }
  }
  return { set: 'jhillyerd/enmime', role, cases: names.length, fields };
}
