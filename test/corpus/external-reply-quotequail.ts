// closeio/quotequail: its pytest parameter lists pair a plain-text mail with what the library finds.
// tests/test_quote.py gives quote(text, quote_intro_line=True) as (visible, text) pieces: the
// visible pieces are the person's text without the attribution. tests/test_unwrap.py gives
// unwrap(text): text_top and text_bottom are the person's text around a quoted or forwarded
// message (cases without either, or that unwrap leaves alone, say nothing about a reply).
// quotequail removes quotes, not signatures, so `replyWithSignature` is compared. Each file's
// cases are split by position (half()), fixed before any case was read.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';
import { pytestParams, type PyValue } from './py-literal.js';

interface Case {
  id: string;
  text: string;
  want: string;
}

function cases(root: string): Case[] {
  const dir = path.join(root, 'closeio+quotequail/tests');
  if (!existsSync(dir)) return [];
  const out: Case[] = [];
  pytestParams(readFileSync(path.join(dir, 'test_quote.py'), 'utf8')).forEach((p, i) => {
    const [text, , intro] = p as [string, PyValue, [boolean, string][]];
    const visible = intro.filter(([shown]) => shown).map(([, t]) => t);
    out.push({ id: `quote#${i}`, text, want: visible.join('\n') });
  });
  pytestParams(readFileSync(path.join(dir, 'test_unwrap.py'), 'utf8')).forEach((p, i) => {
    const [text, expected] = p as [string, Record<string, string> | null];
    const parts = [expected?.text_top, expected?.text_bottom].filter((t) => t !== undefined);
    if (parts.length > 0) out.push({ id: `unwrap#${i}`, text, want: parts.join('\n') });
  });
  return out;
}

export function quotequailSet(root: string, role: Role): SetReport | null {
  const all = cases(root);
  if (all.length === 0) return null;
  const mine = [
    ...half(
      all.filter((c) => c.id.startsWith('quote#')),
      role,
    ),
    ...half(
      all.filter((c) => c.id.startsWith('unwrap#')),
      role,
    ),
  ];
  const fields: Record<string, FieldScore> = {};
  for (const c of mine) {
    const got = ws(extractReply(c.text).replyWithSignature);
    const want = ws(c.want);
    score(
      fields,
      'reply (quote removed) exact',
      got === want,
      c.id,
      `expected ${JSON.stringify(want.slice(0, 80))} got ${JSON.stringify(got.slice(0, 80))}`,
    );
  }
  return { set: 'closeio/quotequail', role, cases: mine.length, fields };
}
