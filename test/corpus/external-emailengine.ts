// postalsys/emailengine: real bounces (test/fixtures/bounces, the failed recipient and action in
// test/bounce-test.js) and complaints (test/fixtures/complaints: ARF, SES, Hotmail, DMARC, opt-out).
// Fetched outside the repo into postalsys+emailengine; split on sorted file names before any case
// was read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { type BounceCase, scoreBounces } from './external-bounce-sets.js';
import { COMPLAINT_REASONS, half, type Role, score, type SetReport } from './external-score.js';

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};

export async function emailEngineSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'postalsys+emailengine/test');
  if (!existsSync(path.join(base, 'bounce-test.js'))) return null;
  const src = readFileSync(path.join(base, 'bounce-test.js'), 'utf8');
  const byFile = new Map<string, BounceCase>();
  // One t.test block per fixture: path('X.eml') then the asserted recipient and action.
  for (const block of src.split(/\bt\.test\(/).slice(1)) {
    const file = /path\('([\w.-]+\.eml)'\)/.exec(block)?.[1];
    const rcpt = /bounce\.recipient,\s*'([^']+)'/.exec(block)?.[1];
    if (!file || !rcpt || byFile.has(file)) continue;
    const action = /bounce\.action,\s*'([^']+)'/.exec(block)?.[1];
    byFile.set(file, { file, expected: [rcpt], temporary: action === 'delayed' });
  }
  const cases = half(
    [...byFile.values()]
      .filter((c) => existsSync(path.join(base, 'fixtures/bounces', c.file)))
      .sort((a, b) => a.file.localeCompare(b.file)),
    role,
  );
  const report = await scoreBounces(
    'postalsys/emailengine',
    role,
    path.join(base, 'fixtures/bounces'),
    cases,
    [],
  );
  const complaintDir = path.join(base, 'fixtures/complaints');
  const complaints = existsSync(complaintDir)
    ? half(
        readdirSync(complaintDir)
          .filter((f) => f.endsWith('.eml'))
          .sort(),
        role,
      )
    : [];
  for (const f of complaints) {
    const got = await prepareMessage(readFileSync(path.join(complaintDir, f)), defaultIngestLimits);
    const cl = classifyMessage(got.parsed, ctx);
    score(
      report.fields,
      'complaint recognised',
      cl.kind === 'auto_reply' && cl.reasons.some((r) => COMPLAINT_REASONS.includes(r)),
      f,
      `${cl.kind} ${cl.reasons.join(',')}`,
    );
  }
  return { ...report, cases: report.cases + complaints.length };
}
