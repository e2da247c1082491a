// What the round-9 MIME scorers share (issue #16): which mail is new. Projects copy each other's
// test mail and sometimes edit a header on the way (imap_tools's copies of the Ruby mail gem's
// fixtures differ from them in the case of one header name), so besides the exact copies
// neverScored finds, a mail is not new when ../shared/corpus or another set holds one that reads
// the same with letter case and runs of blank space ignored, or one with the same body (everything
// after the header block). Copies among the round-9 sets are caught here too (neverScored leaves the
// later sets' folders out, so that older sets keep their mail).
import { createHash } from 'node:crypto';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { digestIndex, neverScored } from './external-round7-fresh.js';
import { ws } from './external-score.js';

/** Bodies this short ("Hi", an empty line) say nothing about where a mail came from. */
const MIN_BODY = 8;

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** The digests a copy keeps: the mail folded (case, blank space) and its body, if not too short. */
function digests(mail: Buffer): string[] {
  const text = mail.toString('latin1').replace(/\r\n?/g, '\n');
  const at = text.indexOf('\n\n');
  const body = at < 0 ? '' : text.slice(at + 2).trim();
  const folded = `folded:${sha1(text.toLowerCase().replace(/\s+/g, ' ').trim())}`;
  return body.length < MIN_BODY ? [folded] : [folded, `body:${sha1(body)}`];
}

let bodies: Map<string, Set<string>> | null = null;
const knownBodies = (root: string): Map<string, Set<string>> =>
  (bodies ??= digestIndex(root, digests));

/**
 * Mail that neither ../shared/corpus nor another set holds, as an exact copy, folded or with the
 * same body; `own` is the set's own folder, whose copies do not count.
 */
export const unseenMail = (root: string, mail: Buffer, own: string): boolean =>
  neverScored(root, mail, own) &&
  digests(mail).every((d) => [...(knownBodies(root).get(d) ?? [])].every((f) => f === own));

/** A reviewed divergence: text of an attached message read into the mail's own text. */
export const FLATTENED =
  'the project reads an attached message into the text; Inlet keeps it as one attached .eml (named by its subject), as mail clients do';

/**
 * Whether `want` is Inlet's text followed by text of the messages Inlet keeps attached (what a
 * parser that walks into message/rfc822 parts shows).
 */
export function flattenedText(got: PreparedMessage, want: string): boolean {
  const attached = got.attachments.filter((a) =>
    /^message\/(rfc822|global)$/i.test(a.declaredType),
  );
  const w = ws(want);
  return attached.length > 0 && w.startsWith(ws(got.text ?? '')) && w !== ws(got.text ?? '');
}
