// What every external-set scorer shares: the report shape, the whitespace rule and the fixed split.
import { type PreparedMessage, prepareMessage } from '../../src/ingest/prepare.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';

export type Role = 'tune' | 'held-out';
export interface FieldScore {
  pass: number;
  total: number;
  misses: string[];
  /** Reviewed divergences: the expectation is the other project's convention, not a fact about the mail. */
  divergent: string[];
}
export interface SetReport {
  set: string;
  role: Role;
  cases: number;
  fields: Record<string, FieldScore>;
}

/** Runs of whitespace count as one space, ends trimmed (the sets' own tests compare this way). */
export const ws = (s: string) => s.replace(/\s+/g, ' ').trim();

export function score(
  fields: Record<string, FieldScore>,
  name: string,
  ok: boolean,
  id: string,
  detail = '',
  divergence: string | null = null,
): void {
  const f = (fields[name] ??= { pass: 0, total: 0, misses: [], divergent: [] });
  f.total++;
  if (ok) f.pass++;
  else if (divergence) f.divergent.push(`${id}: ${divergence}`);
  else f.misses.push(detail ? `${id}: ${detail}` : id);
}

/** The subject scored as the sets' own tests compare it (runs of whitespace as one space). */
export function scoreSubject(
  fields: Record<string, FieldScore>,
  id: string,
  want: string,
  got: string,
): void {
  score(
    fields,
    'subject',
    ws(want) === ws(got),
    id,
    `expected ${JSON.stringify(want)} got ${JSON.stringify(got)}`,
  );
}

/**
 * Whether a leaf part is a file a mail client lists: anything but body text (a text part with no
 * file name and no attachment disposition).
 */
export const isListedFile = (type: string, named: boolean, attached: boolean): boolean =>
  !(/^text\/(plain|html|enriched|richtext)$/i.test(type) && !named && !attached);

/**
 * The expected file names (each among Inlet's) and the file count; `nameDivergence` and
 * `countDivergence` give the reviewed divergence that explains a miss, if one does.
 */
export function scoreFiles(
  fields: Record<string, FieldScore>,
  id: string,
  want: { names: string[]; count: number },
  got: PreparedMessage,
  nameDivergence: (name: string, gotNames: string[]) => string | null = () => null,
  countDivergence: string | null = null,
): void {
  const gotNames = got.attachments.map((a) => a.filename);
  for (const name of want.names)
    score(
      fields,
      'attachment names',
      gotNames.includes(name),
      id,
      `missing ${JSON.stringify(name)} (${gotNames.join(', ')})`,
      nameDivergence(name, gotNames),
    );
  score(
    fields,
    'attachment count',
    want.count === got.attachments.length,
    id,
    `expected ${want.count} got ${got.attachments.length} (${got.attachments.map((a) => `${a.filename} ${a.declaredType}`).join(', ')})`,
    countDivergence,
  );
}

/** Classification reasons that mark an abuse or feedback-loop complaint. */
export const COMPLAINT_REASONS = ['feedback_report', 'abuse_complaint', 'ses_complaint'];

/** Alternating split on the sorted case names: tune takes even positions, held-out odd ones. */
export const half = <T>(items: T[], role: Role): T[] =>
  items.filter((_, i) => (i % 2 === 0) === (role === 'tune'));

/** Enriched (RFC 1896) or richtext (RFC 1341) text without its commands, for a ws() comparison. */
export const withoutCommands = (text: string, richtext: boolean): string =>
  richtext
    ? text.replace(/<comment>[\s\S]*?<\/comment>/gi, '').replace(/<([^<>]*)>/g, (_m, c: string) => {
        const command = c.trim().toLowerCase();
        return command === 'lt' ? '<' : command === 'nl' || command === 'np' ? ' ' : '';
      })
    : text
        .replace(/<param>[\s\S]*?<\/param>/gi, '')
        .replace(/<<|<[^<>]*>/g, (m) => (m === '<<' ? '<' : ''));

/** Inline enriched or richtext: mail clients (Thunderbird, Apple Mail) show it as text. */
export const INLINE_ENRICHED =
  'the project lists an inline text/enriched or text/richtext part as an attachment; Inlet shows it as text, as Thunderbird and Apple Mail do';

/** Parts that hold no file of their own (src/ingest/stages/mime-special-parts.ts). */
export const NOT_A_FILE =
  'the project lists a part that holds no file (message/external-body, an AppleDouble header, the PGP/MIME version part) as an attachment; Inlet, as mail clients, does not (an external body is a note in the text)';
export const isNotAFileType = (type: string | null | undefined): boolean =>
  /^\s*(message\/external-body|application\/applefile|application\/pgp-encrypted)\s*(;|$)/i.test(
    type ?? '',
  );

/** Files uuencoded into a plain body. */
export const UUENCODE_IN_BODY =
  'the project keeps files uuencoded into a plain body as text; Inlet lifts them out as attachments, as mail clients and zbateson/mail-mime-parser do';

/** The mail prepared and scored 'parsed'; null, scored a miss, when preparing it threw. */
export async function preparedOrMiss(
  fields: Record<string, FieldScore>,
  id: string,
  raw: Buffer,
): Promise<PreparedMessage | null> {
  try {
    const got = await prepareMessage(raw, defaultIngestLimits);
    score(fields, 'parsed', true, id);
    return got;
  } catch (e) {
    score(fields, 'parsed', false, id, `threw ${(e as Error).message}`);
    return null;
  }
}

/**
 * The round-7 split (issue #16): the sorted cases' first half (the middle one included) tunes, the
 * second half is held out. Fixed when each round-7 set was added, before any of it was scored.
 */
export const firstHalf = <T>(items: T[], role: Role): T[] => {
  const cut = Math.ceil(items.length / 2);
  return role === 'tune' ? items.slice(0, cut) : items.slice(cut);
};

/** The body text scored as the sets' own tests compare it (runs of whitespace as one space). */
export function scoreText(
  fields: Record<string, FieldScore>,
  id: string,
  want: string,
  got: string | null,
  divergence: string | null = null,
): void {
  const w = ws(want);
  const g = ws(got ?? '');
  score(
    fields,
    'text',
    w === g,
    id,
    `expected ${JSON.stringify(w.slice(0, 80))} got ${JSON.stringify(g.slice(0, 80))}`,
    divergence,
  );
}

/** The sender's address, compared without regard to case. */
export function scoreFrom(
  fields: Record<string, FieldScore>,
  id: string,
  want: string,
  got: string | undefined,
): void {
  const g = got ?? '';
  score(fields, 'from', want.toLowerCase() === g.toLowerCase(), id, `expected ${want} got ${g}`);
}
