// sisimai/set-of-emails keeps CRLF (maildir/dos) and bare-CR (maildir/mac) copies of some of its
// bounces. A copy must be read as its LF original is: same kind, same failed recipients with the
// same statuses. Each copy takes the tune/held-out role of its LF original's name.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { type FieldScore, half, type Role, score, type SetReport } from './external-score.js';
import { expectations } from './external-sisimai.js';

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};

async function reading(file: string): Promise<string> {
  try {
    const got = await prepareMessage(readFileSync(file), defaultIngestLimits);
    const cl = classifyMessage(got.parsed, ctx);
    const rcpts = (cl.bounce?.recipients ?? []).map((r) => `${r.address}/${r.status ?? '-'}`);
    return `${cl.kind} ${rcpts.sort().join(' ')}`;
  } catch (e) {
    return `threw ${(e as Error).message}`;
  }
}

export async function lineEndingSet(root: string, role: Role): Promise<SetReport | null> {
  const mailDir = path.join(root, 'sisimai+set-of-emails/maildir');
  const factDir = path.join(root, 'sisimai+go-sisimai/fact');
  if (!existsSync(path.join(mailDir, 'dos')) || !existsSync(factDir)) return null;
  const mine = new Set(
    half(
      [...expectations(factDir).keys()]
        .filter((f) => existsSync(path.join(mailDir, 'bsd', f)))
        .sort(),
      role,
    ),
  );
  const fields: Record<string, FieldScore> = {};
  let cases = 0;
  for (const variant of ['dos', 'mac']) {
    const dir = path.join(mailDir, variant);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!mine.has(f)) continue;
      cases++;
      const want = await reading(path.join(mailDir, 'bsd', f));
      const got = await reading(path.join(dir, f));
      score(
        fields,
        `read as the LF copy (${variant})`,
        got === want,
        f,
        `LF: ${want} | ${variant}: ${got}`,
      );
    }
  }
  return { set: 'sisimai/set-of-emails CRLF and CR copies', role, cases, fields };
}
