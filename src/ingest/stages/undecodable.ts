// A text part nobody can read as text: bytes that are binary (an image or archive declared
// text/plain by a broken client), or 8-bit bytes under a charset label no decoder knows and that are
// not UTF-8 either. Shown as body text they are garbage (U+FFFD, control characters) and the bytes
// are lost; kept as an attachment, the agent can download exactly what was sent.
import { isUtf8 } from 'node:buffer';

import { decodeUnknownBytes } from './header-charset.js';
import { qpBytes } from './mime-charsets.js';
import { isUtf7Label } from './utf7.js';

// Enough of the part to tell text from binary; the decision never needs the whole of a large part.
const SAMPLE_BYTES = 64 * 1024;
// Control bytes a part needs before it can count as binary at all.
const MIN_BINARY_CONTROLS = 3;

function decodedSample(latin1: string, cte: string): Buffer {
  if (cte === 'base64')
    return Buffer.from(
      latin1.slice(0, Math.ceil((SAMPLE_BYTES * 4) / 3) + 4096),
      'base64',
    ).subarray(0, SAMPLE_BYTES);
  const raw = latin1.slice(0, SAMPLE_BYTES * 3);
  const bytes = cte === 'quoted-printable' ? qpBytes(raw) : raw;
  return Buffer.from(bytes, 'latin1').subarray(0, SAMPLE_BYTES);
}

/** Controls that never appear in text (tab, line ends, form feed and ESC of ISO-2022 do). */
function controlCount(buf: Buffer): number {
  let n = 0;
  for (const b of buf)
    if (
      (b < 0x20 &&
        b !== 0x09 &&
        b !== 0x0a &&
        b !== 0x0d &&
        b !== 0x0c &&
        b !== 0x0b &&
        b !== 0x1b) ||
      b === 0x7f
    )
      n++;
  return n;
}

/**
 * Whether a text part's body (raw bytes read as latin1, before its transfer encoding is undone)
 * cannot be shown as text. `known` says whether a decoder exists for the charset label.
 */
export function isUndecodableText(
  latin1Body: string,
  cte: string,
  charset: string | null,
  known: (label: string) => boolean,
): boolean {
  const label = (charset ?? '').trim().toLowerCase();
  // UTF-16/32 text is full of NUL bytes by design; UTF-7 is decoded separately (parse.ts).
  if (/^(utf-?16|utf-?32|ucs-?2|ucs-?4|unicode)/.test(label) || isUtf7Label(label)) return false;
  const sample = decodedSample(latin1Body, cte.trim().toLowerCase());
  if (sample.length === 0) return false;
  // One stray NUL in a long letter is a client bug, not binary: more than one byte in fifty is,
  // once there are a few of them (a two-word note with a stray BEL or NUL is still a note; any
  // binary file has many).
  const controls = controlCount(sample);
  if (controls >= MIN_BINARY_CONTROLS && controls * 50 > sample.length) return true;
  // A label nothing can decode, over bytes that are not UTF-8 (plain ASCII is UTF-8 too): any
  // reading would be a guess that mangles every 8-bit character.
  if (label !== '' && !known(label)) return !isUtf8(trimPartialUtf8(sample));
  return false;
}

/** A sample cut mid-character must not read as invalid UTF-8. */
function trimPartialUtf8(buf: Buffer): Buffer {
  const end = buf.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const b = buf[end - i]!;
    if (b >= 0xc0) return buf.subarray(0, end - i);
    if (b < 0x80) break;
  }
  return buf;
}

/**
 * The charset to read a text part in when it declares none (or US-ASCII) yet holds 8-bit bytes
 * that are not UTF-8: old and pre-MIME clients send Latin-1 or a national charset unlabelled, and
 * read as UTF-8 every such character would become U+FFFD. The likeliest charset for the bytes,
 * favouring those the message declares elsewhere; null when the label needs no help.
 */
export function unlabelledCharset(
  latin1Body: string,
  cte: string,
  charset: string | null,
  declared: string[],
): string | null {
  if (!/^(|us-?ascii|ascii)$/.test((charset ?? '').trim().toLowerCase())) return null;
  if (!/[\x80-\xff]/.test(latin1Body) && !/^(base64|quoted-printable)$/.test(cte)) return null;
  const sample = decodedSample(latin1Body, cte.trim().toLowerCase());
  if (!sample.some((b) => b >= 0x80) || isUtf8(trimPartialUtf8(sample))) return null;
  return decodeUnknownBytes(sample, declared).charset;
}

/**
 * Whether a text part without a charset of its own can be read in the one its enclosing multipart
 * declares: not when that is a UTF-16/32 or UTF-7 label (ASCII text would become garbage), nor when
 * the part holds 8-bit bytes that are valid UTF-8 under a label that is not (the sender wrote UTF-8
 * and labelled only the container; UTF-8 by chance is rare in national charsets), or the reverse.
 */
export function fitsInheritedCharset(latin1Body: string, cte: string, charset: string): boolean {
  const label = charset.trim().toLowerCase();
  if (/^(utf-?16|utf-?32|ucs-?2|ucs-?4|unicode)/.test(label) || isUtf7Label(label)) return false;
  const sample = decodedSample(latin1Body, cte.trim().toLowerCase());
  if (!sample.some((b) => b >= 0x80)) return true;
  // A UTF-8 label over bytes that are not UTF-8 is wrong too: the likeliest charset is found instead.
  return isUtf8(trimPartialUtf8(sample)) === /^utf-?8$/.test(label);
}

// Labels under which 8-bit UTF-8 is no accident to correct: Unicode itself, and 7-bit charsets
// (their 8-bit content is handled by unlabelledCharset and the UTF-7 decoder).
const NOT_NATIONAL =
  /^(|us-?ascii|ascii|utf-?8|utf-?16.*|utf-?32.*|ucs-?[24]|unicode.*|iso-2022-.*|hz-gb-2312)$/;

/**
 * A text part labelled with a national charset (ISO-8859-1, windows-1252, KOI8-R, …) whose 8-bit
 * bytes are all valid UTF-8: the sender wrote UTF-8 and a mailer stamped its default label. Read
 * under the label, every such character shows as two or three ("â€™" for "’"). UTF-8 by chance
 * is rare in these charsets: each Latin-1 letter would have to be followed by C1 bytes or symbols,
 * and a single letter that is not breaks it. 'utf-8' then, else null (the label fits).
 */
export function utf8UnderNationalLabel(
  latin1Body: string,
  cte: string,
  charset: string | null,
): string | null {
  const label = (charset ?? '').trim().toLowerCase();
  if (NOT_NATIONAL.test(label) || isUtf7Label(label)) return null;
  if (!/[\x80-\xff]/.test(latin1Body) && !/^(base64|quoted-printable)$/i.test(cte.trim()))
    return null;
  const sample = decodedSample(latin1Body, cte.trim().toLowerCase());
  return sample.some((b) => b >= 0x80) && isUtf8(trimPartialUtf8(sample)) ? 'utf-8' : null;
}
