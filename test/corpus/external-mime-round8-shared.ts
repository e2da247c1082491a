// What the round-8 MIME scorers share (issue #16): a header read from the mail they score, the To
// count, and the run over a set's chosen half.
import type { PreparedMessage } from '../../src/ingest/prepare.js';
import {
  type FieldScore,
  firstHalf,
  preparedOrMiss,
  type Role,
  score,
  type SetReport,
} from './external-score.js';

/** The first `name:` header of the mail's header block, unfolded ('' when there is none). */
export function headerOf(mail: Buffer, name: string): string {
  const head = mail
    .toString('latin1')
    .split(/\r?\n\r?\n/, 1)[0]!
    .replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:(.*)$`, 'im').exec(head)?.[1] ?? '';
}

/** Whether the mail's top entity is a multipart (its own body is then a preamble nobody is shown). */
export const isMultipart = (mail: Buffer): boolean =>
  /^\s*multipart\//i.test(headerOf(mail, 'content-type'));

/** How many To addresses the project found against Inlet's. */
export function scoreToCount(
  fields: Record<string, FieldScore>,
  id: string,
  want: number,
  got: PreparedMessage,
  divergence: string | null = null,
): void {
  score(
    fields,
    'to count',
    want === got.parsed.to.length,
    id,
    `expected ${want} got ${got.parsed.to.map((a) => a.address).join(', ')}`,
    divergence,
  );
}

/** The chosen half of `cases` prepared and scored; null when the set is not fetched. */
export async function scoreHalf<C>(
  set: string,
  role: Role,
  cases: C[],
  mail: (c: C) => { id: string; raw: Buffer },
  scoreCase: (fields: Record<string, FieldScore>, c: C, got: PreparedMessage) => void,
): Promise<SetReport | null> {
  if (cases.length === 0) return null;
  const chosen = firstHalf(cases, role);
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const { id, raw } = mail(c);
    const got = await preparedOrMiss(fields, id, raw);
    if (got) scoreCase(fields, c, got);
  }
  return { set, role, cases: chosen.length, fields };
}
