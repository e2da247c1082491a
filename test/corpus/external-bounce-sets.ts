// Public bounce mail scored against each project's own expectations of the bounced recipients:
// flufl.bounce (tune and held-out halves) and Mail-DeliveryStatus-BounceParser (held out whole).
// Fetched outside the repo like every external set (see external-sets.ts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { freshBounceSets } from './external-bounce-fresh.js';
import { round3BounceSets } from './external-bounce-round3.js';
import { emailEngineSet } from './external-emailengine.js';
import { type FieldScore, half, type Role, score, type SetReport } from './external-score.js';
import { sisimaiSets } from './external-sisimai.js';

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};

export interface BounceCase {
  file: string;
  expected: string[];
  temporary: boolean;
}

export async function scoreBounces(
  set: string,
  role: Role,
  dir: string,
  cases: BounceCase[],
  notBounces: string[],
): Promise<SetReport> {
  const fields: Record<string, FieldScore> = {};
  for (const c of cases) {
    const got = await prepareMessage(readFileSync(path.join(dir, c.file)), defaultIngestLimits);
    const cl = classifyMessage(got.parsed, ctx);
    score(fields, 'bounce detected', cl.kind === 'bounce', c.file, cl.kind);
    const recipients = cl.bounce?.recipients ?? [];
    const found = [...new Set(recipients.map((r) => r.address.toLowerCase()))].sort().join(', ');
    const want = [...new Set(c.expected.map((a) => a.toLowerCase()))].sort().join(', ');
    score(
      fields,
      'bounced recipients exact',
      found === want,
      c.file,
      `expected ${want} got ${found}`,
    );
    if (c.temporary)
      score(
        fields,
        'delay not a failure',
        recipients.length > 0 && recipients.every((r) => !r.hard),
        c.file,
      );
  }
  for (const f of notBounces) {
    const got = await prepareMessage(readFileSync(path.join(dir, f)), defaultIngestLimits);
    const kind = classifyMessage(got.parsed, ctx).kind;
    score(fields, 'non-bounce not a bounce', kind !== 'bounce', f, kind);
  }
  return { set, role, cases: cases.length + notBounces.length, fields };
}

// flufl.bounce: the DATA table of _detectors/tests/detectors.py names file, detector and addresses.
async function flufl(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'wRAR+flufl.bounce/flufl/bounce');
  if (!existsSync(base)) return null;
  const table = readFileSync(path.join(base, '_detectors/tests/detectors.py'), 'utf8');
  const byFile = new Map<string, BounceCase>();
  for (const m of table.matchAll(/\(\s*'(\w+)',\s*'([^']+)',\s*\[([^\]]*)\](,\s*True)?\s*\)/g)) {
    const expected = [...m[3]!.matchAll(/b?'([^']+)'/g)].map((x) => x[1]!);
    if (expected.length === 0) continue;
    const c = byFile.get(m[2]!) ?? { file: m[2]!, expected: [], temporary: m[4] !== undefined };
    c.expected.push(...expected);
    byFile.set(m[2]!, c);
  }
  const cases = half(
    [...byFile.values()].sort((a, b) => a.file.localeCompare(b.file)),
    role,
  );
  return scoreBounces('flufl.bounce', role, path.join(base, 'tests/data'), cases, []);
}

// Mail-DeliveryStatus-BounceParser: expectations in its t/*.t files.
async function bounceParser(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'rjbs+Mail-DeliveryStatus-BounceParser/t');
  if (!existsSync(base)) return null;
  const t = (name: string) => readFileSync(path.join(base, name), 'utf8');
  const cases: BounceCase[] = [];
  for (const m of t('various-unknown.t').matchAll(/"([\w.-]+\.msg)"\s*=>\s*\{/g))
    cases.push({ file: m[1]!, expected: ['recipient@example.net'], temporary: false });
  for (const m of t('various-domain.t').matchAll(
    /"([\w.-]+\.msg)"\s*=>\s*\{[^}]*?"recipient"\s*=>\s*'([^']+)'/g,
  ))
    cases.push({ file: m[1]!, expected: [m[2]!], temporary: false });
  for (const name of [
    'aol-attachment.t',
    'aol-senderblock.t',
    'iis-multiple-bounce.t',
    'misidentified-recipient.t',
    'postfix-malformed.t',
  ]) {
    const m = /'t\/corpus\/([\w.-]+\.msg)'[\s\S]*?addresses\s*=>\s*\[([^\]]*)\]/.exec(t(name));
    if (m)
      cases.push({
        file: m[1]!,
        expected: [...m[2]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!),
        temporary: false,
      });
  }
  const notBounces = [
    ...t('non-bounce.t').matchAll(/check_one\('t\/corpus\/([\w.-]+\.msg)'\)/g),
  ].map((m) => m[1]!);
  const sorted = cases.sort((a, b) => a.file.localeCompare(b.file));
  return scoreBounces(
    'Mail-DeliveryStatus-BounceParser',
    role,
    path.join(base, 'corpus'),
    role === 'held-out' ? sorted : [],
    role === 'held-out' ? notBounces : [],
  );
}

/** The bounce sets found under `root` for one role, in report order. */
export async function bounceSets(root: string, role: Role): Promise<SetReport[]> {
  const out: SetReport[] = [];
  for (const r of [
    await flufl(root, role),
    role === 'held-out' ? await bounceParser(root, role) : null,
  ])
    if (r && r.cases > 0) out.push(r);
  out.push(...(await sisimaiSets(root, role)));
  const ee = await emailEngineSet(root, role);
  if (ee && ee.cases > 0) out.push(ee);
  out.push(...(await freshBounceSets(root, role)));
  out.push(...(await round3BounceSets(root, role)));
  return out;
}
