// A MIME set added in round 9 of issue #16, never scored before: csirtgadgets/csirtg-mail-py
// (Python, LGPL-3.0): phishing and spam samples (samples/email/NAME.eml), each parsed by
// test/test_NAME.py (`TEST_FILE = '…'`, `results = csirtg_mail.parse_email_from_string(email)`).
// `results` lists every message attached in the mail (each as its own list, attached ones first)
// and then the mail itself, last; each has its `headers` and its leaf `mail_parts`. Scored, of the asserts that compare with a literal:
// - of the mail: `['headers']['to'|'from'][0] == V`, the first address; `… .startswith(V)` of the
//   subject: Inlet's subject starts so; `['mail_parts'][N]['decoded_body'].startswith(V)` of a text
//   part (V is not HTML markup): Inlet's text holds V ('text includes');
//   `['mail_parts'][N]['filename'].startswith(V)`: a file whose name starts so;
// - of an attached message: Inlet keeps it as a message/rfc822 file ('attached message kept'), and
//   that message's text (Inlet's, read from the file) holds the decoded_body asserted ('attached
//   message text'); the To of an attached message is not shown, not scored.
// Inlet's messages are listed in the project's order to match them; when Inlet keeps fewer attached
// messages than the asserts name, the mail is taken to be the last one asserted.
// Return-Path, Delivered-To, URLs and bitcoin addresses are not Inlet's fields. Cases are sorted
// by mail name (a mail several tests parse is one case) and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { type PreparedMessage, prepareMessage } from '../../src/ingest/prepare.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { unseenMail } from './external-mime-round9-shared.js';
import {
  type FieldScore,
  firstHalf,
  preparedOrMiss,
  type Role,
  score,
  scoreFrom,
  type SetReport,
  ws,
} from './external-score.js';
import { PyReader } from './py-literal.js';

const OWN = 'csirtgadgets+csirtg-mail-py';

/** One assert: which result (0 the mail, K an attached message), what of it, how, and the value. */
export interface CsirtgCheck {
  result: number;
  target: string;
  op: '==' | 'startswith';
  want: string;
}
export interface CsirtgCase {
  id: string;
  mail: Buffer;
  checks: CsirtgCheck[];
}

const ASSERT = /assert results\[(\d+)\]((?:\[(?:'[\w-]+'|\d+)\])+)(?:\s*==\s*|\.startswith\(\s*)/g;

/** The literal asserts of one test file. */
export function csirtgChecks(src: string): CsirtgCheck[] {
  const out: CsirtgCheck[] = [];
  for (const m of src.matchAll(ASSERT)) {
    const at = m.index + m[0].length;
    let want;
    try {
      want = new PyReader(src.slice(at)).value();
    } catch {
      continue;
    }
    if (typeof want !== 'string') continue;
    out.push({
      result: Number(m[1]),
      target: m[2]!.replace(/\[(\d+)\]/g, '[N]').replace(/'/g, ''),
      op: m[0].includes('==') ? '==' : 'startswith',
      want,
    });
  }
  return out;
}

/** Every sample mail a test parses, with the asserts of all its tests, the mail new, sorted by name. */
export function csirtgCases(root: string): CsirtgCase[] {
  const dir = path.join(root, OWN, 'test');
  if (!existsSync(dir)) return [];
  const byMail = new Map<string, CsirtgCase>();
  for (const n of readdirSync(dir)) {
    if (!/^test_.*\.py$/.test(n)) continue;
    const src = readFileSync(path.join(dir, n), 'utf8');
    const file = /^TEST_FILE = '([^']+)'/m.exec(src)?.[1];
    if (!file || !src.includes('parse_email_from_string(')) continue;
    const eml = path.join(root, OWN, file);
    if (!existsSync(eml)) continue;
    const c = byMail.get(file) ?? { id: path.basename(file), mail: readFileSync(eml), checks: [] };
    c.checks.push(...csirtgChecks(src));
    byMail.set(file, c);
  }
  return [...byMail.values()]
    .filter((c) => c.checks.length > 0 && unseenMail(root, c.mail, OWN))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The address of `Name <a@b>` or a bare address. */
const addressOf = (v: string): string => /<([^<>]*)>\s*$/.exec(v)?.[1] ?? v.trim();
const isMarkup = (v: string): boolean => /^\s*<[!a-z]/i.test(v);

/** Every message attached in the mail, each before its own, then the mail (csirtg_mail's order). */
async function withAttachedMessages(got: PreparedMessage): Promise<(PreparedMessage | null)[]> {
  const out: (PreparedMessage | null)[] = [];
  for (const a of got.attachments) {
    if (!/^message\/rfc822$/i.test(a.declaredType)) continue;
    try {
      out.push(
        ...(await withAttachedMessages(await prepareMessage(a.content, defaultIngestLimits))),
      );
    } catch {
      out.push(null);
    }
  }
  return [...out, got];
}

async function scoreCase(fields: Record<string, FieldScore>, c: CsirtgCase, got: PreparedMessage) {
  const messages = await withAttachedMessages(got);
  const asserted = Math.max(...c.checks.map((k) => k.result)) + 1;
  const own = Math.max(messages.length, asserted) - 1;
  const files = got.attachments.map((a) => `${a.filename} ${a.declaredType}`).join(', ');
  const kept = new Set<number>();
  for (const k of c.checks) {
    const { result, target, op, want } = k;
    if (result !== own) {
      // Inlet's attached messages are the list without its last entry (the mail).
      const m = result < messages.length - 1 ? messages[result] : null;
      if (!kept.has(result)) {
        kept.add(result);
        score(
          fields,
          'attached message kept',
          m != null,
          c.id,
          `no attached message ${result} (${files})`,
        );
      }
      if (m && target === '[mail_parts][N][decoded_body]' && !isMarkup(want))
        score(
          fields,
          'attached message text',
          ws(m.text ?? '').includes(ws(want)),
          c.id,
          `no ${JSON.stringify(ws(want).slice(0, 60))} in ${JSON.stringify(ws(m.text ?? '').slice(0, 80))}`,
        );
      continue;
    }
    if (target === '[headers][from][N]' && op === '==')
      scoreFrom(fields, c.id, addressOf(want), got.parsed.from?.address);
    else if (target === '[headers][to][N]' && op === '==' && want.includes('@'))
      score(
        fields,
        'to',
        (got.parsed.to[0]?.address ?? '').toLowerCase() === addressOf(want).toLowerCase(),
        c.id,
        `expected ${addressOf(want)} got ${got.parsed.to.map((a) => a.address).join(', ')}`,
      );
    else if (target === '[headers][subject][N]')
      score(
        fields,
        'subject',
        op === '==' ? ws(got.parsed.subject) === ws(want) : got.parsed.subject.startsWith(want),
        c.id,
        `expected ${JSON.stringify(want)} got ${JSON.stringify(got.parsed.subject)}`,
      );
    else if (target === '[mail_parts][N][decoded_body]' && !isMarkup(want))
      score(
        fields,
        'text includes',
        ws(got.text ?? '').includes(ws(want)),
        c.id,
        `no ${JSON.stringify(ws(want).slice(0, 60))} in ${JSON.stringify(ws(got.text ?? '').slice(0, 80))}`,
      );
    else if (target === '[mail_parts][N][filename]')
      score(
        fields,
        'attachment names',
        got.attachments.some((a) => a.filename.startsWith(want)),
        c.id,
        `no file named ${JSON.stringify(want)}… (${files})`,
      );
  }
}

/** csirtgadgets/csirtg-mail-py: samples/email mail against test/test_*.py. */
export async function csirtgSet(root: string, role: Role): Promise<SetReport | null> {
  const cases = csirtgCases(root);
  if (cases.length === 0) return null;
  const chosen = firstHalf(cases, role);
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const got = await preparedOrMiss(fields, c.id, c.mail);
    if (got) await scoreCase(fields, c, got);
  }
  return {
    set: 'csirtgadgets/csirtg-mail-py (Python, round 9, fresh)',
    role,
    cases: chosen.length,
    fields,
  };
}
