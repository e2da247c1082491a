// sisimai/set-of-emails (real bounces from ~100 MTAs and providers), scored against sisimai's own
// expectations in go-sisimai's fact/*_test.go tables: per returned message the number of failed
// recipients, each one's DSN status, and its reason ("vacation" is an auto-reply, "feedback" an ARF
// complaint, "delivered" a success notice). The tables name no addresses, so the recipient count
// and statuses are what is scored. Fetched outside the repo into sisimai+set-of-emails (maildir/)
// and sisimai+go-sisimai (fact/). The split is fixed on the sorted file names before any case was read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { failedRecipients } from '../../src/ingest/bounce-link.js';
import { prepareMessage } from '../../src/ingest/prepare.js';
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import {
  COMPLAINT_REASONS,
  type FieldScore,
  half,
  type Role,
  score,
  type SetReport,
} from './external-score.js';
import { lineEndingSet } from './external-sisimai-endings.js';

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};

interface Row {
  status: string;
  reason: string;
}

/** eml file name → the rows sisimai expects for it (public samples only). */
export function expectations(factDir: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const f of readdirSync(factDir).filter((n) => n.endsWith('_test.go'))) {
    const src = readFileSync(path.join(factDir, f), 'utf8');
    const m =
      /publiclist\s*:=\s*\[\]\[\]IsExpected\{([\s\S]*?)\};\s*EngineTest\(t,\s*"([^"]+)"/.exec(src);
    if (!m) continue;
    const engine = m[2]!.toLowerCase();
    const prefix = f.includes('-rhost-') ? 'rhost-' : /^(rfc\d+|arf)$/.test(engine) ? '' : 'lhost-';
    for (const r of m[1]!.matchAll(
      /\{"(\d+)",\s*\d+,\s*"([^"]*)",\s*"[^"]*",\s*"([^"]*)",\s*(?:true|false),\s*"[^"]*"\}/g,
    )) {
      const file = `${prefix}${engine}-${r[1]!.padStart(2, '0')}.eml`;
      const rows = out.get(file) ?? [];
      rows.push({ status: r[2]!, reason: r[3]! });
      out.set(file, rows);
    }
  }
  return out;
}

// sisimai's own codes (x.0.9xx) and its 5.0.0/4.0.0 fallbacks are guesses from the text, not statuses
// the report gave; only real RFC 3463 statuses are compared.
// Files in not/ that are bounces by their own words (checked by hand; tune half).
const REAL_BOUNCE_IN_NOT = new Set(['rb-issue-368-bug.eml']);
// A person forwarding a bounce with words of their own (checked by hand; tune half): to a helpdesk
// that is the person asking about it, so Inlet keeps it human; sisimai reads the bounce inside.
const FORWARDED_BY_PERSON = new Set(['lhost-sendmail-14.eml']);
const FORWARDED =
  "a person forwards the bounce ('Fwd:', their own question above the quoted copy): Inlet keeps the person's message human; sisimai reads the quoted bounce";
const STATUS_FIELD =
  "the report's own Status field gives Inlet's code; sisimai replaces it with one read from the diagnostic or inferred from its reason";
const realStatus = (s: string) =>
  /^[45]\.\d{1,3}\.\d{1,3}$/.test(s) && !/^[45]\.0\.(?:0|9\d\d)$/.test(s);

// The lhost-* and rfc3464-* files are also in ../shared/corpus/sisimai (bounce detection and status
// were tuned there in earlier sessions), so they are reported apart from the fresh rhost-*, arf-*,
// rfc3834-* and not/ files. The split is one alternation over all sorted names either way.
const inShared = (file: string) => /^(?:lhost-|rfc3464-)/.test(file);

export async function sisimaiSets(root: string, role: Role): Promise<SetReport[]> {
  const out: SetReport[] = [];
  for (const shared of [false, true]) {
    const r = await sisimaiSet(root, role, shared);
    if (r && r.cases > 0) out.push(r);
  }
  const endings = await lineEndingSet(root, role);
  if (endings && endings.cases > 0) out.push(endings);
  return out;
}

async function sisimaiSet(root: string, role: Role, shared: boolean): Promise<SetReport | null> {
  const mailDir = path.join(root, 'sisimai+set-of-emails/maildir');
  const factDir = path.join(root, 'sisimai+go-sisimai/fact');
  if (!existsSync(mailDir) || !existsSync(factDir)) return null;
  const expected = expectations(factDir);
  const files = half(
    [...expected.keys()].filter((f) => existsSync(path.join(mailDir, 'bsd', f))).sort(),
    role,
  ).filter((f) => inShared(f) === shared);
  const notBounces = shared
    ? []
    : half(
        readdirSync(path.join(mailDir, 'not'))
          .filter((f) => f.endsWith('.eml'))
          .sort(),
        role,
      );
  const fields: Record<string, FieldScore> = {};
  for (const file of files) {
    const rows = expected.get(file)!;
    const raw = readFileSync(path.join(mailDir, 'bsd', file));
    let got;
    try {
      got = await prepareMessage(raw, defaultIngestLimits);
    } catch (e) {
      score(fields, 'bounce detected', false, file, `threw ${(e as Error).message}`);
      continue;
    }
    const cl = classifyMessage(got.parsed, ctx);
    const reasons = new Set(rows.map((r) => r.reason));
    if (reasons.has('vacation')) {
      score(fields, 'auto-reply not a bounce', cl.kind === 'auto_reply', file, cl.kind);
      continue;
    }
    if (reasons.has('feedback')) {
      const arf = cl.reasons.some((r) => COMPLAINT_REASONS.includes(r));
      score(fields, 'complaint recognised', cl.kind === 'auto_reply' && arf, file, cl.kind);
      continue;
    }
    const failing = rows.filter((r) => r.reason !== 'delivered');
    const recipients = cl.bounce?.recipients ?? [];
    if (failing.length === 0) {
      score(
        fields,
        'delivered not a failure',
        cl.kind !== 'bounce' || failedRecipients(recipients).length === 0,
        file,
        `${cl.kind}, ${failedRecipients(recipients).length} failed`,
      );
      continue;
    }
    const forwarded = FORWARDED_BY_PERSON.has(file) ? FORWARDED : null;
    score(fields, 'bounce detected', cl.kind === 'bounce', file, cl.kind, forwarded);
    const addresses = [...new Set(recipients.map((r) => r.address.toLowerCase()))];
    score(
      fields,
      'recipient count',
      addresses.length === failing.length,
      file,
      `expected ${failing.length} got ${addresses.length} (${addresses.join(', ')})`,
      forwarded,
    );
    if (failing.every((r) => realStatus(r.status))) {
      const want = failing
        .map((r) => r.status)
        .sort()
        .join(' ');
      const have = recipients
        .map((r) => r.status ?? '-')
        .sort()
        .join(' ');
      // sisimai replaces the reporting MTA's Status field with a code it reads from the diagnostic
      // or the reason it infers ("4.4.7" becomes "4.7.1"); Inlet reports the field as written.
      const fieldSays = recipients.every(
        (r) =>
          r.status !== null &&
          new RegExp(`^\\s*Status:\\s*${r.status.replace(/\./g, '\\.')}\\b`, 'im').test(
            raw.toString('latin1'),
          ),
      );
      score(
        fields,
        'status',
        want === have,
        file,
        `expected ${want} got ${have}`,
        fieldSays && recipients.length === failing.length ? STATUS_FIELD : forwarded,
      );
    }
    // Only a real 4.x.x status says temporary: sisimai's 4.0.9xx codes are its own reading of
    // text such as Exim's "retry timeout exceeded", which is a permanent failure there.
    const temporary = failing.every((r) => realStatus(r.status) && r.status.startsWith('4'));
    if (temporary && recipients.length > 0)
      score(
        fields,
        'temporary not hard',
        recipients.every((r) => !r.hard),
        file,
        recipients.map((r) => `${r.action}/${r.status}`).join(' '),
      );
  }
  for (const f of notBounces) {
    const got = await prepareMessage(
      readFileSync(path.join(mailDir, 'not', f)),
      defaultIngestLimits,
    );
    const kind = classifyMessage(got.parsed, ctx).kind;
    score(
      fields,
      'non-bounce not a bounce',
      kind !== 'bounce',
      `not/${f}`,
      kind,
      REAL_BOUNCE_IN_NOT.has(f)
        ? 'the notice says the mail was rejected and discarded (mailbox full) and names the target address: Inlet reads a bounce; sisimai files it under not/ (its issue 368)'
        : null,
    );
  }
  return {
    set: shared
      ? 'sisimai/set-of-emails lhost+rfc3464 (also in ../shared/corpus)'
      : 'sisimai/set-of-emails rhost+arf+rfc3834+not (fresh)',
    role,
    cases: files.length + notBounces.length,
    fields,
  };
}
