// jstedfast/MimeKit (C#): MimeVisitorTests renders each message of jwz's torture mbox with
// HtmlPreviewVisitor and compares it with UnitTests/TestData/mbox/jwz.body.N.html: the first text
// part it meets (the last, richest, alternative), as HTML. That mbox is too large for the stored
// copy, so the mail is MailCore/mailcore2's split of the same mbox (its file N+1 is message N: the
// subjects agree). Scored: that text, rendered and whitespace-folded, appears in Inlet's text
// (Inlet shows every inline part in order, MimeKit's preview only the first). A message is tune or
// held-out exactly as in external-mime-mailcore.ts, so neither set reads the other's held-out mail.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { htmlToText } from '../../src/ingest/stages/html-to-text.js';
import { mailcoreIds } from './external-mime-mailcore.js';
import {
  type FieldScore,
  half,
  preparedOrMiss,
  type Role,
  score,
  type SetReport,
  withoutCommands,
  ws,
} from './external-score.js';

const RAW_COMMANDS =
  "the project's preview shows the commands of an inline text/richtext or text/enriched part as text; Inlet shows the text they format";

const NOT_ASSERTED =
  "the project's own test does not assert this message (its Japanese text is broken in the project's expectation)";
const C1_CONTROLS =
  'the project reads bytes 0x80-0x9F under an ISO-8859-1 label as C1 controls; Inlet as windows-1252, as the WHATWG Encoding Standard and mail clients do';
const UNDECLARED_8BIT =
  "the project shows '?' for each 8-bit byte under a US-ASCII label; Inlet decodes them (they are UTF-8)";
// The characters windows-1252 puts where ISO-8859-1 has the C1 controls.
const WINDOWS_1252_ONLY =
  /[\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]/g;
// MimeVisitorTests skips messages 6, 13 and 31.
const SKIPPED = new Set([6, 13, 31]);

/** Does `have` hold `want` with each run of '?' in it standing for other characters? */
function withQuestionMarksAsAny(want: string, have: string): boolean {
  let at = 0;
  for (const piece of want.split(/\?+/)) {
    const i = have.indexOf(piece, at);
    if (i < 0) return false;
    at = i + piece.length;
  }
  return true;
}

/**
 * Whitespace folded and quote marks dropped: the preview renders quoted lines as nested
 * blockquotes, which come back from HTML with the marks in other places.
 */
const unquoted = (s: string): string => ws(s.replace(/^[ \t]*(?:>[ \t]?)+/gm, ''));

/** Where the expected text stops matching Inlet's, with some context either side. */
function firstDifference(want: string, have: string): string {
  let i = 0;
  while (i < want.length && want[i] === have[i]) i++;
  const at = Math.max(0, i - 30);
  return `at ${i}: expected ${JSON.stringify(want.slice(at, i + 50))} got ${JSON.stringify(have.slice(at, i + 50))}`;
}

export async function mimekitJwzSet(root: string, role: Role): Promise<SetReport | null> {
  const bodies = path.join(root, 'jstedfast+MimeKit/UnitTests/TestData/mbox');
  const mailcore = path.join(root, 'MailCore+mailcore2/unittest/data/parser');
  if (!existsSync(bodies) || !existsSync(mailcore)) return null;
  const fields: Record<string, FieldScore> = {};
  let cases = 0;
  for (const id of half(mailcoreIds(mailcore), role)) {
    const n = /^mbox\/jwz\/(\d+)$/.exec(id)?.[1];
    const file = n ? path.join(bodies, `jwz.body.${Number(n) - 1}.html`) : '';
    if (!n || !existsSync(file)) continue;
    const want = unquoted(htmlToText(readFileSync(file, 'utf8')));
    if (want === '') continue;
    cases++;
    const got = await preparedOrMiss(fields, id, readFileSync(path.join(mailcore, 'input', id)));
    if (!got) continue;
    const have = unquoted(got.text ?? htmlToText(got.html ?? ''));
    // MimeKit's preview shows richtext and enriched commands as text; without them, does it match?
    const commands = [true, false].some((r) => have.includes(ws(withoutCommands(want, r))));
    score(
      fields,
      'text',
      have.includes(want),
      id,
      firstDifference(want, have),
      SKIPPED.has(Number(n) - 1)
        ? NOT_ASSERTED
        : commands
          ? RAW_COMMANDS
          : have.replace(WINDOWS_1252_ONLY, '').includes(want.replace(/[\u0080-\u009f]/g, ''))
            ? C1_CONTROLS
            : want.includes('?') && withQuestionMarksAsAny(want, have)
              ? UNDECLARED_8BIT
              : null,
    );
  }
  return { set: 'jstedfast/MimeKit jwz bodies (fresh)', role, cases, fields };
}
