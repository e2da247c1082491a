// stalwartlabs/mail-parser (Rust): resources/eml/<group>/N.eml with N.json, the Message its parser
// made (RFC 8621 layout: text_body, html_body and attachments index into parts). Tune half: the
// legacy and rfc groups; held out: thirdparty and malformed (both from Dovecot's tests). The
// conventions below are read from its src/parsers/message.rs, not from held-out cases:
// - every text/plain child of a multipart/alternative goes into text_body (JMAP's textBody), where a
//   mail client shows one version;
// - a part it cannot decode (bad base64 or quoted-printable) or whose closing boundary never comes
//   is flagged is_encoding_problem and kept as an attachment of its raw text, unless it is the
//   message's only part;
// - inline images, audio and video sit in text_body beside the text (they are also attachments).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { type PreparedMessage, prepareMessage } from '../../src/ingest/prepare.js';
import { decodeUnknownBytes } from '../../src/ingest/stages/header-charset.js';
import { splitUuencodedFiles } from '../../src/ingest/stages/uudecode.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import {
  type FieldScore,
  INLINE_ENRICHED,
  isNotAFileType,
  NOT_A_FILE,
  type Role,
  score,
  type SetReport,
  UUENCODE_IN_BODY,
  ws,
} from './external-score.js';
import {
  attribute,
  contentType,
  type Expected,
  expectedTexts,
  headerValue,
  inlineEnriched,
  isPlain,
  joinText,
  type Json,
  partSize,
  renderingsOf,
} from './external-stalwart-message.js';

// Reviewed divergences (each a convention of the project's, named by class, not by file).
const REPLACEMENT_KEPT =
  'the project keeps undecodable 8-bit bytes as U+FFFD; Inlet decodes them with the declared or likeliest charset';
const EVERY_ALTERNATIVE =
  'the project’s text holds every plain version of a multipart/alternative (JMAP textBody); Inlet shows the last, the preferred one (RFC 2046 5.1.4), as mail clients do';
const BROKEN_AS_ATTACHMENT =
  'the project keeps a text part it cannot decode, or whose closing boundary never comes, as an attachment of raw text; Inlet shows it as text, as mail clients do';
const RENDERING_LEFT_OUT =
  'the project lists the other renderings of an alternative (text/enriched beside the plain version) as attachments; Inlet shows one version and lists none of them, as mail clients do';
const RAW_SIZE =
  'the project could not decode the base64 or quoted-printable part (is_encoding_problem) and reports the size of its raw, encoded text';

/** Expected text with U+FFFD where ours has a real character is that convention, nothing else. */
export const sameButReplacement = (expected: string, got: string): boolean =>
  expected.includes('\uFFFD') &&
  !got.includes('\uFFFD') &&
  new RegExp(
    `^${expected
      .split('\uFFFD')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.{1,2}')}$`,
    'u',
  ).test(got);

/** Parts the project demoted to attachments because it could not read them, shown by Inlet. */
const brokenShown = (exp: Expected, got: PreparedMessage): number[] =>
  exp.attachments.filter((i) => {
    const p = exp.parts[i]!;
    const raw = ws(String(p.body.Text ?? ''));
    return (
      p.is_encoding_problem === true && isPlain(p) && raw !== '' && ws(got.text ?? '').includes(raw)
    );
  });

function scoreCase(
  fields: Record<string, FieldScore>,
  id: string,
  exp: Expected,
  got: PreparedMessage,
) {
  const top = exp.parts[0]!;
  const subject = (headerValue(top, 'subject')?.Text as string | undefined) ?? '';
  score(
    fields,
    'subject',
    ws(subject) === ws(got.parsed.subject),
    id,
    `expected ${JSON.stringify(subject)} got ${JSON.stringify(got.parsed.subject)}`,
    sameButReplacement(ws(subject), ws(got.parsed.subject)) ? REPLACEMENT_KEPT : null,
  );
  const fromList =
    ((headerValue(top, 'from')?.Address as Json | undefined)?.List as
      { address?: string }[] | undefined) ?? [];
  const from = (fromList[0]?.address ?? '').toLowerCase();
  const gotFrom = (got.parsed.from?.address ?? '').toLowerCase();
  const bareWord =
    !from.includes('@') && gotFrom === ''
      ? 'a bare word in From is no sender address (Inlet keeps it as the name; issue #16)'
      : null;
  if (from)
    score(fields, 'from', from === gotFrom, id, `expected ${from} got ${gotFrom}`, bareWord);

  // Inline images in text_body are left out: Inlet lists them as attachments, never as text.
  const { ids, lastOnly } = expectedTexts(exp);
  const textBody = exp.text_body.map((i) => exp.parts[i]!.body);
  const wantRaw = ids.map((i) => String(exp.parts[i]!.body.Text)).join('\n');
  const uu = splitUuencodedFiles(wantRaw.replace(/\r\n/g, '\n'));
  const broken = brokenShown(exp, got);
  const renderings = renderingsOf(exp);
  const enriched = inlineEnriched(exp, renderings);
  if (ids.length > 0 && !textBody.some((b) => 'Html' in b)) {
    const want = ws(wantRaw);
    const have = ws(got.text ?? '');
    score(
      fields,
      'text',
      want === have,
      id,
      `expected ${JSON.stringify(want.slice(0, 60))} got ${JSON.stringify(have.slice(0, 60))}`,
      uu && ws(uu.text) === have
        ? UUENCODE_IN_BODY
        : sameButReplacement(want, have)
          ? REPLACEMENT_KEPT
          : lastOnly.length < ids.length && joinText(exp, lastOnly) === have
            ? EVERY_ALTERNATIVE
            : broken.length > 0 && joinText(exp, [...ids, ...broken]) === have
              ? BROKEN_AS_ATTACHMENT
              : enriched.length > 0 && joinText(exp, [...ids, ...enriched]) === have
                ? INLINE_ENRICHED
                : null,
    );
  }
  const atts = exp.attachments.map((i) => exp.parts[i]!);
  const notFiles = atts.filter((p) => isNotAFileType(contentType(p)));
  score(
    fields,
    'attachment count',
    atts.length === got.attachments.length,
    id,
    `expected ${atts.length} got ${got.attachments.length}`,
    uu && atts.length + uu.files.length === got.attachments.length
      ? UUENCODE_IN_BODY
      : notFiles.length > 0 && atts.length - notFiles.length === got.attachments.length
        ? NOT_A_FILE
        : broken.length > 0 && atts.length - broken.length === got.attachments.length
          ? BROKEN_AS_ATTACHMENT
          : renderings.length + enriched.length > 0 &&
              atts.length - renderings.length - enriched.length === got.attachments.length
            ? renderings.length > 0
              ? RENDERING_LEFT_OUT
              : INLINE_ENRICHED
            : null,
  );
  const names = atts
    .map(
      (p) =>
        attribute(p, 'content_disposition', 'filename') ?? attribute(p, 'content_type', 'name'),
    )
    .filter((x): x is string => x !== null);
  for (const name of names) {
    const base = name.split(/[/\\]/).at(-1)!;
    const divergence = notFiles.some(
      (p) =>
        (attribute(p, 'content_disposition', 'filename') ??
          attribute(p, 'content_type', 'name')) === name,
    )
      ? NOT_A_FILE
      : got.attachments.some((a) => sameButReplacement(name, a.filename))
        ? REPLACEMENT_KEPT
        : base !== name && got.attachments.some((a) => a.filename === base)
          ? 'a path in a filename is cut to its last segment (security.md: names are display data)'
          : null;
    score(
      fields,
      'attachment names',
      got.attachments.some((a) => a.filename === name),
      id,
      `missing ${name}`,
      divergence,
    );
  }
  for (const i of exp.attachments) {
    const p = exp.parts[i]!;
    const size = partSize(p);
    if (size === null) continue;
    // A text part is reported as decoded UTF-8 text; ours keeps the bytes as sent, so a text
    // attachment also matches when its bytes decoded to UTF-8 have that length.
    const text = 'Text' in p.body || 'Html' in p.body;
    const matches = (a: { size: number; content: Buffer }) =>
      a.size === size ||
      (text && Buffer.byteLength(decodeUnknownBytes(a.content).text, 'utf8') === size);
    const cte = String(headerValue(p, 'content_transfer_encoding')?.Text ?? '').toLowerCase();
    score(
      fields,
      'attachment sizes',
      got.attachments.some(matches),
      id,
      `no attachment of ${size} bytes (${got.attachments.map((a) => a.size).join(',')})`,
      isNotAFileType(contentType(p))
        ? NOT_A_FILE
        : cte.includes('uuencode')
          ? 'Inlet decodes x-uuencode; the project keeps the encoded text'
          : broken.includes(i)
            ? BROKEN_AS_ATTACHMENT
            : renderings.includes(i)
              ? RENDERING_LEFT_OUT
              : enriched.includes(i)
                ? INLINE_ENRICHED
                : p.is_encoding_problem === true && /base64|quoted-printable/.test(cte)
                  ? RAW_SIZE
                  : null,
    );
  }
}

/** The project's add_crlf: a CR before every LF that has none. */
const addCrlf = (raw: Buffer): Buffer =>
  Buffer.from(raw.toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1');

const FIELDS = [
  'subject',
  'from',
  'text',
  'attachment count',
  'attachment names',
  'attachment sizes',
];

export async function stalwartSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'stalwartlabs+mail-parser/resources/eml');
  if (!existsSync(base)) return null;
  const groups = role === 'tune' ? ['legacy', 'rfc'] : ['thirdparty', 'malformed'];
  const fields: Record<string, FieldScore> = {};
  let cases = 0;
  for (const g of groups) {
    for (const n of readdirSync(path.join(base, g))
      .filter((f) => f.endsWith('.eml'))
      .sort()) {
      const id = `${g}/${n}`;
      // The project's test parses two forms of each file, never the file as it is: N.json describes
      // it with every CR removed, N.crlf.json with every bare LF made CRLF. The CRLF form (mail as
      // sent) is scored; files with mixed line ends were scored as they are against one of them.
      const emlBytes = addCrlf(readFileSync(path.join(base, g, n)));
      const json = path.join(base, g, n.replace(/\.eml$/, '.crlf.json'));
      if (!existsSync(json)) continue;
      cases++;
      const exp = JSON.parse(readFileSync(json, 'utf8')) as Expected;
      let got;
      try {
        got = await prepareMessage(emlBytes, defaultIngestLimits);
      } catch (e) {
        for (const f of FIELDS) score(fields, f, false, id, `threw ${(e as Error).message}`);
        continue;
      }
      scoreCase(fields, id, exp, got);
    }
  }
  return { set: 'stalwartlabs/mail-parser', role, cases, fields };
}
