// Bounce sets first scored this session (issue #16), each against its project's own expectations;
// fetched outside the repo and split on sorted file names before any case was read:
// - fschulze/bounced: the bounce_email gem's mail (tests/bounce_email/{bounces,non_bounces}) and two
//   of its own, with the recipients, DSN status and action its test_bounced.py expects; voku/PHPMailer-BMH
//   (tests/SingleMessageTest.php) names the failed address and hard/soft/temporary of the same
//   gem's files (tt_*), used where bounced names none. Its flufl_bounce copies are left out (flufl is
//   scored on its own).
// - ardiesaeidi/node-baunsu: bounce_* are hard bounces, auto_* and ordinary_* are none.
// - rgl/MailBounceDetector: BounceDetectorTests.cs per fixture: bounce or not, hard, the final
//   recipient, its status and the returned message's Message-ID.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { failedRecipients } from '../../src/ingest/bounce-link.js';
import { prepareMessage } from '../../src/ingest/prepare.js';
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import type { Classification } from '../../src/ingest/types.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import {
  COMPLAINT_REASONS,
  type FieldScore,
  half,
  type Role,
  score,
  type SetReport,
} from './external-score.js';

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};

export interface Expect {
  /** Path under the set's folder. */
  file: string;
  bounce: boolean;
  /** An abuse or feedback-loop report: machine mail, not a bounce. */
  complaint?: boolean;
  recipients?: string[];
  /** Status as the project writes it: digits with or without dots. */
  status?: string;
  temporary?: boolean;
  hard?: boolean;
  originalId?: string;
}

const digits = (s: string) => s.replace(/\D/g, '');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Conventions checked on the mail itself (reviewed on the tune halves): where a project's answer is
// its own reading, not what the report says.
const ORIGINAL_RECIPIENT =
  'Inlet names the Original-Recipient (the address the sender wrote, where a reply went); the project names the Final-Recipient it was expanded to';
const STATUS_FIELD =
  "Inlet gives the report's own Status field (or, where that says only X.0.0 or X.5.0, the enhanced code of the server's answer it quotes); the project gives the SMTP reply code of the diagnostic or a code it infers";
const NO_STATUS =
  'the report gives no status code; the project infers one from its wording, Inlet reports none';
const GAVE_UP =
  "the report's own Action field says failed (the MTA gave up; a 4.x.x status says only why); the project calls it a delay";
const namesOriginal = (raw: string, got: string[], want: string[]) =>
  got.length === want.length &&
  got.every((a) =>
    new RegExp(`^Original-Recipient:\\s*rfc822;\\s*<?${esc(a)}>?\\s*$`, 'im').test(raw),
  ) &&
  want.every((a) =>
    new RegExp(`^Final-Recipient:\\s*rfc822;\\s*<?${esc(a)}>?\\s*$`, 'im').test(raw),
  );
const sorted = (a: string[]) => [...new Set(a.map((x) => x.toLowerCase()))].sort().join(', ');

export async function scoreCases(
  set: string,
  role: Role,
  dir: string,
  all: Expect[],
): Promise<SetReport | null> {
  const cases = half(
    all.sort((a, b) => path.basename(a.file).localeCompare(path.basename(b.file))),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const c of cases) {
    const name = path.basename(c.file);
    let cl: Classification;
    const bytes = readFileSync(path.join(dir, c.file));
    const raw = bytes.toString('latin1');
    try {
      const got = await prepareMessage(bytes, defaultIngestLimits);
      cl = classifyMessage(got.parsed, ctx);
    } catch (e) {
      score(
        fields,
        c.bounce ? 'bounce detected' : 'non-bounce not a bounce',
        false,
        name,
        String(e),
      );
      continue;
    }
    if (c.complaint) {
      const arf = cl.reasons.some((r) => COMPLAINT_REASONS.includes(r));
      score(fields, 'complaint recognised', cl.kind === 'auto_reply' && arf, name, cl.kind);
      continue;
    }
    if (!c.bounce) {
      score(fields, 'non-bounce not a bounce', cl.kind !== 'bounce', name, cl.kind);
      continue;
    }
    score(fields, 'bounce detected', cl.kind === 'bounce', name, cl.kind);
    const recipients = cl.bounce?.recipients ?? [];
    if (c.recipients) {
      const got = sorted(recipients.map((r) => r.address));
      const want = sorted(c.recipients);
      score(
        fields,
        'bounced recipients exact',
        got === want,
        name,
        `expected ${want} got ${got}`,
        namesOriginal(raw, got.split(', '), want.split(', ')) ? ORIGINAL_RECIPIENT : null,
      );
    }
    if (c.status) {
      // One status for the report: every recipient must carry it.
      const got = recipients.map((r) => digits(r.status ?? ''));
      const field =
        recipients.length > 0 &&
        recipients.every(
          (r) =>
            r.status &&
            new RegExp(`^(?:Status:\\s*|Diagnostic-Code:.*?[\\s(#])${esc(r.status)}\\b`, 'im').test(
              raw,
            ),
        );
      const none = !/\b[245]\.\d{1,3}\.\d{1,3}\b/.test(raw) && got.every((g) => g === '');
      score(
        fields,
        'status',
        got.length > 0 && got.every((g) => g === digits(c.status!)),
        name,
        `expected ${c.status} got ${got.join(' ')}`,
        field ? STATUS_FIELD : none ? NO_STATUS : null,
      );
    }
    if (c.temporary !== undefined)
      score(
        fields,
        c.temporary ? 'delay not a failure' : 'failure reported as failed',
        c.temporary
          ? recipients.length > 0 && failedRecipients(recipients).length === 0
          : failedRecipients(recipients).length > 0,
        name,
        recipients.map((r) => `${r.action}/${r.status}`).join(' '),
        c.temporary && /^Action:\s*failed\b/im.test(raw) && !/^Action:\s*delayed\b/im.test(raw)
          ? GAVE_UP
          : null,
      );
    if (c.hard !== undefined)
      score(
        fields,
        'hard bounce is hard',
        recipients.some((r) => r.hard) === c.hard,
        name,
        recipients.map((r) => `${r.action}/${r.status}/${r.hard}`).join(' '),
      );
    if (c.originalId)
      score(
        fields,
        'returned Message-ID',
        cl.bounce?.originalMessageId === c.originalId,
        name,
        `expected ${c.originalId} got ${cl.bounce?.originalMessageId ?? '-'}`,
      );
  }
  const n = cases.length;
  return n > 0 ? { set, role, cases: n, fields } : null;
}

// voku/PHPMailer-BMH: 'bounce-email/X.txt' => array(fetched, processed, …, bounceType, email), the
// active entries only (commented-out ones are its own open questions).
function vokuExpectations(file: string): Map<string, { email: string; type: string }> {
  const out = new Map<string, { email: string; type: string }>();
  if (!existsSync(file)) return out;
  const src = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  for (const m of src.matchAll(
    /'bounce-email\/([\w.-]+)\.txt'\s*=>\s*array\(\s*\d+,\s*(\d+),[^)]*?'[^']*',\s*'[^']*',\s*'([^']*)',\s*'([^']*)',?\s*\)/g,
  ))
    if (m[2] === '1' && m[4]) out.set(m[1]!, { email: m[4], type: m[3]! });
  return out;
}

async function bouncedSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'fschulze+bounced/src/bounced/tests');
  if (!existsSync(path.join(base, 'test_bounced.py'))) return null;
  const src = readFileSync(path.join(base, 'test_bounced.py'), 'utf8');
  const listed = new Map<string, { address: string; status: string; action?: string }>();
  for (const m of src.matchAll(
    /'([\w.-]+)':\s*\[Bounce\(\s*\(\s*'',\s*'([^']+)'\s*\)([^\]]*)\]/g,
  )) {
    const tail = m[3]!;
    listed.set(m[1]!, {
      address: m[2]!,
      status: /status='(\d+)'/.exec(tail)?.[1] ?? '',
      action: /action='(\w+)'/.exec(tail)?.[1],
    });
  }
  const voku = vokuExpectations(path.join(root, 'voku+PHPMailer-BMH/tests/SingleMessageTest.php'));
  const all: Expect[] = [];
  for (const [folder, bounce] of [
    ['bounce_email/bounces', true],
    ['bounce_email/non_bounces', false],
    ['bounces', true],
  ] as const) {
    for (const f of readdirSync(path.join(base, folder)).filter((n) => n.endsWith('.eml'))) {
      const id = f.replace(/\.eml$/, '');
      const b = listed.get(id);
      const v = voku.get(id);
      all.push({
        file: `${folder}/${f}`,
        bounce,
        ...(b
          ? { recipients: [b.address], status: b.status, temporary: b.action === 'delayed' }
          : v
            ? { recipients: [v.email], temporary: v.type === 'temporary' }
            : {}),
      });
    }
  }
  return scoreCases('fschulze/bounced (bounce_email gem mail)', role, base, all);
}

async function baunsuSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'ardiesaeidi+node-baunsu/tests/emails');
  if (!existsSync(base)) return null;
  const all: Expect[] = readdirSync(base)
    .filter((f) => /^(?:bounce|auto|ordinary)/i.test(f))
    .map((f) =>
      /^bounce/i.test(f) ? { file: f, bounce: true, hard: true } : { file: f, bounce: false },
    );
  return scoreCases('ardiesaeidi/node-baunsu', role, base, all);
}

async function mailBounceDetectorSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'rgl+MailBounceDetector/MailBounceDetector.Tests');
  const testFile = path.join(base, 'BounceDetectorTests.cs');
  if (!existsSync(testFile)) return null;
  const all: Expect[] = [];
  for (const block of readFileSync(testFile, 'utf8')
    .split(/\[Fact\]/)
    .slice(1)) {
    const file = /OpenFixture\("([\w.-]+)"\)/.exec(block)?.[1];
    if (!file || !existsSync(path.join(base, 'Fixtures', file))) continue;
    const bounce = /Assert\.True\(result\.IsBounce\)/.test(block);
    // Several recipients are asserted group by group; FinalRecipient is the last of them.
    const groups = [
      ...block.matchAll(
        /"rfc822;([^"]+)",\s*result\.DeliveryStatus\.StatusGroups\[\d+\]\["Final-Recipient"\]/g,
      ),
    ].map((m) => m[1]!);
    const final = /Assert\.Equal\("([^"]+)",\s*result\.FinalRecipient\)/.exec(block)?.[1];
    const rcpt = groups.length > 0 ? groups : final ? [final] : null;
    const cls = /Assert\.Equal\("(\d) [^"]*",\s*result\.PrimaryStatus/.exec(block)?.[1];
    const combined = /Assert\.Equal\("(\d{2,3}) [^"]*",\s*result\.CombinedStatus/.exec(block)?.[1];
    const original = /Assert\.Equal\("([^"]+)",\s*result\.UndeliveredMessageId\)/.exec(block)?.[1];
    all.push({
      file: `Fixtures/${file}`,
      bounce,
      ...(rcpt ? { recipients: rcpt } : {}),
      ...(cls && combined ? { status: `${cls}${combined}` } : {}),
      ...(bounce ? { hard: /Assert\.True\(result\.IsHard\)/.test(block) } : {}),
      ...(original ? { originalId: original } : {}),
    });
  }
  return scoreCases('rgl/MailBounceDetector', role, base, all);
}

/** The fresh bounce sets found under `root` for one role. */
export async function freshBounceSets(root: string, role: Role): Promise<SetReport[]> {
  const out: SetReport[] = [];
  for (const r of [
    await bouncedSet(root, role),
    await baunsuSet(root, role),
    await mailBounceDetectorSet(root, role),
  ])
    if (r) out.push(r);
  return out;
}
