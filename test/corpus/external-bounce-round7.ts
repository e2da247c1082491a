// A bounce set added in round 7 of issue #16, never scored before: crisp-oss/email-bounce-parser
// (JavaScript, MIT). Each test/fixtures/NAME.txt is the body of a non-delivery report as a mail
// system wrote it (Postfix, Exchange, Gmail, …, without headers: the parser reads bodies), and
// test/fixtures/expected/NAME.json what the parser must make of it: the failed recipient, the
// basic and enhanced status codes, temporary or permanent.
// The body is wrapped in the envelope every non-delivery report has (RFC 5321 4.5.5: a null
// Return-Path, sent by the mail system to the sender, here the helpdesk's own address) and no
// subject, so Inlet reads it from its text as it would read the mail. Scored, for each report that
// names a recipient: bounce detected, the bounced recipient, and the enhanced status where the
// project gives one. (A fixture without a recipient is the parser's own input check: "Hello", "".)
// Reports another set already holds are left out (external-round7-fresh.ts). Cases are sorted by
// name and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { neverScored } from './external-round7-fresh.js';
import { type FieldScore, firstHalf, type Role, score, type SetReport } from './external-score.js';

const OWN = 'support@inlet.test';
const ctx = { ownAddresses: [OWN], isOwnMessageId: (id: string) => id.endsWith('@inlet.test') };

interface CrispCase {
  name: string;
  body: string;
  recipient: string;
  enhanced: string | null;
}

interface CrispExpected {
  bounce: boolean;
  data?: { recipient?: string | null; error?: { code?: { enhanced?: string | null } } };
}

/** The reports of the set that name a recipient, sorted by name. */
export function crispBounceCases(root: string): CrispCase[] {
  const dir = path.join(root, 'crisp-oss+email-bounce-parser/test/fixtures');
  if (!existsSync(path.join(dir, 'expected'))) return [];
  const out: CrispCase[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    const name = file.slice(0, -4);
    const expected = path.join(dir, 'expected', `${name}.json`);
    if (!existsSync(expected)) continue;
    const want = JSON.parse(readFileSync(expected, 'utf8')) as CrispExpected;
    const recipient = want.data?.recipient;
    const body = readFileSync(path.join(dir, file), 'utf8');
    if (!want.bounce || !recipient || !neverScored(root, body)) continue;
    out.push({ name, body, recipient, enhanced: want.data?.error?.code?.enhanced ?? null });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// Reviewed divergence (read on a tune case): the same class as external-bounce-fresh.ts's
// Original-Recipient one, in Exim's wording.
const GENERATED_FROM =
  'Inlet names the address the sender wrote (Exim\'s "generated from"); the project names the address it was expanded to';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const generatedFrom = (body: string, want: string, got: string): boolean =>
  new RegExp(`^\\s*<?${esc(want)}>?\\s*\\n\\s*\\(generated from <?${esc(got)}>?\\)`, 'im').test(
    body,
  );

/** The body as a mail: the envelope of a non-delivery report, and no subject. */
const asMail = (body: string): Buffer =>
  Buffer.from(
    [
      'Return-Path: <>',
      'From: Mail Delivery System <MAILER-DAEMON@mail-system.invalid>',
      `To: ${OWN}`,
      'Date: Mon, 01 Jan 2024 00:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
    ].join('\r\n'),
    'utf8',
  );

export async function crispBounceSet(root: string, role: Role): Promise<SetReport | null> {
  const cases = crispBounceCases(root);
  if (cases.length === 0) return null;
  const chosen = firstHalf(cases, role);
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    let cl;
    try {
      cl = classifyMessage((await prepareMessage(asMail(c.body), defaultIngestLimits)).parsed, ctx);
    } catch (e) {
      score(fields, 'bounce detected', false, c.name, String(e));
      continue;
    }
    score(fields, 'bounce detected', cl.kind === 'bounce', c.name, cl.kind);
    const recipients = cl.bounce?.recipients ?? [];
    const got = recipients.map((r) => r.address.toLowerCase()).join(', ');
    score(
      fields,
      'bounced recipient exact',
      got === c.recipient.toLowerCase(),
      c.name,
      `expected ${c.recipient} got ${got || '-'}`,
      generatedFrom(c.body, c.recipient, got) ? GENERATED_FROM : null,
    );
    if (c.enhanced)
      score(
        fields,
        'status',
        recipients.length > 0 && recipients.every((r) => r.status === c.enhanced),
        c.name,
        `expected ${c.enhanced} got ${recipients.map((r) => r.status ?? '-').join(' ') || '-'}`,
      );
  }
  return {
    set: 'crisp-oss/email-bounce-parser (round 7, fresh)',
    role,
    cases: chosen.length,
    fields,
  };
}
