// A MIME set added in round 7 of issue #16, never scored before: Polymail/go-falcon (Go, MIT), an
// SMTP-to-storage daemon whose parser/parser_test.go lists goodMailTypeTests: per fixture
// parser/fixtures/NAME.eml the subject, date, To address and name, From address and name, the
// text/plain part, the text/html part and the attachment file names in order.
// Scored: subject, From address, To address (the first), text, attachment count and names.
// - The text is the text/plain part; "" says the mail has none (an HTML-only mail, whose text
//   Inlet derives from the HTML), so only a stated text is compared.
// - HTML is asserted as raw markup; Inlet stores sanitised HTML, so it is not scored (as for
//   php-mime-mail-parser). The date is formatted by Go's clock (one is time.Now()): not scored.
// Mail another set already holds is left out (external-round7-fresh.ts). Cases are sorted by fixture name and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { neverScored } from './external-round7-fresh.js';
import {
  type FieldScore,
  firstHalf,
  preparedOrMiss,
  type Role,
  score,
  scoreFrom,
  scoreSubject,
  scoreText,
  type SetReport,
  ws,
} from './external-score.js';
import { braceBlock, goString, literalFields } from './go-literal.js';

interface FalconCase {
  fixture: string;
  subject: string;
  to: string;
  from: string;
  text: string;
  files: string[];
}

/** A Go string expression: literals ("…" or `…`) joined by `+`; null when it is anything else. */
function goConcat(value: string): string | null {
  let out = '';
  let pos = 0;
  for (;;) {
    while (/\s/.test(value[pos] ?? '')) pos++;
    const s = goString(value, pos);
    if (s === null) return null;
    out += s;
    pos = value[pos] === '`' ? value.indexOf('`', pos + 1) + 1 : pos + literalLength(value, pos);
    while (/\s/.test(value[pos] ?? '')) pos++;
    if (pos >= value.length) return out;
    if (value[pos] !== '+') return null;
    pos++;
  }
}

/** The length of the "…" literal at value[pos]. */
const literalLength = (value: string, pos: number): number =>
  /^"(?:[^"\\\n]|\\.)*"/.exec(value.slice(pos))![0].length;

/** The goodMailTypeTests rows whose fields are all plain strings. */
export function falconCases(root: string): FalconCase[] {
  const dir = path.join(root, 'Polymail+go-falcon/parser');
  const file = path.join(dir, 'parser_test.go');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const start = src.indexOf('goodMailTypeTests = []goodMailTypeTest{');
  if (start < 0) return [];
  const table = braceBlock(src, src.indexOf('{', start)).body;
  const out: FalconCase[] = [];
  for (const row of literalFields(table).values()) {
    const open = row.indexOf('{');
    if (open < 0) continue;
    const f = [...literalFields(braceBlock(row, open).body).values()];
    const attachments = f[9] ?? '';
    const list = attachments.indexOf('{');
    const [fixture, subject, to, from, text] = [0, 1, 3, 5, 7].map((i) => goConcat(f[i] ?? ''));
    if ([fixture, subject, to, from, text].some((v) => v === null) || list < 0) continue;
    const files = [...literalFields(braceBlock(attachments, list).body).values()].map((a) =>
      goConcat(braceBlock(a, a.indexOf('{')).body.trim()),
    );
    const mail = path.join(dir, 'fixtures', fixture!);
    if (
      files.some((n) => n === null) ||
      !existsSync(mail) ||
      !neverScored(root, readFileSync(mail))
    )
      continue;
    out.push({
      fixture: fixture!,
      subject: subject!,
      to: to!,
      from: from!,
      text: text!,
      files: files as string[],
    });
  }
  return out.sort((a, b) => (a.fixture < b.fixture ? -1 : a.fixture > b.fixture ? 1 : 0));
}

// Reviewed divergences (each read on a tune case; the rules name the class, not files).
const FLATTENED =
  'the project flattens an attached message into the mail (its text appended, its files listed); Inlet keeps it as one attached .eml, as mail clients do';
const REPORT_AS_TEXT =
  'the project reads every text part of a delivery report as body text (the machine-readable report and the returned headers); Inlet shows the human-readable part and lists the report parts as files';
const TEXT_FILE_AS_BODY =
  'the project reads a text/* part as body even when it is an attachment with a file name (a CSV); Inlet lists it as a file';

const REPORT_PART =
  /^(message\/(delivery-status|disposition-notification|feedback-report)|text\/rfc822-headers)$/;

/** Which of the classes above explains a text or file-count difference, if one does. */
function divergences(got: PreparedMessage, wantText: string, wantCount: number) {
  const types = got.attachments.map((a) => a.declaredType);
  const gotText = ws(got.text ?? '');
  const extends_ = gotText !== '' && ws(wantText).startsWith(gotText);
  const attachedMessage = types.some((t) => /^message\/(rfc822|global)$/.test(t));
  const reports = types.filter((t) => REPORT_PART.test(t)).length;
  const textFiles = types.filter((t) => t.startsWith('text/') && !REPORT_PART.test(t)).length;
  return {
    text: attachedMessage && extends_ ? FLATTENED : reports > 0 && extends_ ? REPORT_AS_TEXT : null,
    count: attachedMessage
      ? FLATTENED
      : reports > 0 && wantCount === types.length - reports
        ? REPORT_AS_TEXT
        : textFiles > 0 && wantCount === types.length - textFiles
          ? TEXT_FILE_AS_BODY
          : null,
    names: attachedMessage ? FLATTENED : null,
  };
}

export async function falconSet(root: string, role: Role): Promise<SetReport | null> {
  const cases = falconCases(root);
  if (cases.length === 0) return null;
  const chosen = firstHalf(cases, role);
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const raw = readFileSync(path.join(root, 'Polymail+go-falcon/parser/fixtures', c.fixture));
    const got = await preparedOrMiss(fields, c.fixture, raw);
    if (!got) continue;
    const id = c.fixture;
    const diverges = divergences(got, c.text, c.files.length);
    scoreSubject(fields, id, c.subject, got.parsed.subject);
    scoreFrom(fields, id, c.from, got.parsed.from?.address);
    // The project's To is every address of the field, joined by ", ".
    const to = got.parsed.to.map((a) => a.address).join(', ');
    score(fields, 'to', c.to.toLowerCase() === to.toLowerCase(), id, `expected ${c.to} got ${to}`);
    // "" says the mail has no text/plain part (see above).
    if (c.text !== '') scoreText(fields, id, c.text, got.text, diverges.text);
    const names = got.attachments.map((a) => a.filename);
    score(
      fields,
      'attachment count',
      c.files.length === names.length,
      id,
      `expected ${c.files.length} got ${names.length} (${names.join(', ')})`,
      diverges.count,
    );
    for (const name of c.files)
      score(
        fields,
        'attachment names',
        names.includes(name),
        id,
        `missing ${JSON.stringify(name)} (${names.join(', ')})`,
        diverges.names,
      );
  }
  return { set: 'Polymail/go-falcon (round 7, fresh)', role, cases: chosen.length, fields };
}
