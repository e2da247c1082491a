// Repairs for broken MIME structure that would otherwise lose the body (issue #16, structure): a
// multipart whose boundary is missing or never used, a Content-Transfer-Encoding written with quotes
// or parameters, a header block whose blank line is missing or whose field goes on unfolded, a text
// part declared base64 that holds prose, a second Content-Type that is the real one. mime-scan.ts
// finds them on the raw bytes and parse.ts rewrites the header block before mailparser reads it;
// the stored raw message is never changed. Each applies only where the message as sent would show
// garbage or nothing.
import { isUtf8 } from 'node:buffer';

import { base64FooterStart, hasControlBytes } from './mime-base64-footer.js';
import type { HeaderBlock } from './mime-header-block.js';
import type { Base64Footer } from './normalise-types.js';

/** A Content-Type/Disposition parameter's value, quoted or not; null when absent or empty. */
export const param = (value: string, name: string): string | null => {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value);
  const v = m?.[1] ?? m?.[2] ?? null;
  return v === null || v === '' ? null : v;
};

/**
 * A multipart's boundary as mailparser splits by it: trailing whitespace dropped (RFC 2046's bchars
 * cannot end in a space, and a delimiter line may carry spaces after the boundary anyway). The
 * pre-scan must find the lines the parser splits on, or its view of the parts (and every rewrite
 * planned from it: empty files, named text parts, stray text) is wrong.
 */
export const boundaryParam = (value: string): string | null =>
  param(value, 'boundary')?.trimEnd() || null;

/** The ASCII boundary a multipart whose boundary has a non-ASCII byte is given, plus an offset. */
export const ASCII_BOUNDARY = '=_inlet-ascii-';

/** What a header block needs rewritten: its boundary, its transfer encoding, or its type as plain text. */
export interface HeaderRepair {
  start: number;
  end: number;
  boundary?: string;
  cte?: string;
  asText?: boolean;
  /** The Content-Type to keep of several (the others are dropped). */
  contentType?: string;
}

/** A header field line ("Name: value"); anything else in a header block is body or garbage. */
export const isFieldLine = (line: string): boolean => /^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(line);

// RFC 2045 token characters; a comment may follow the subtype.
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+(?:\s*\(.*)?$/;
const MEDIA_TYPE_START = /^([!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+)\s/;

const ENCODINGS = /\b(base64|quoted-printable|7bit|8bit|binary|x-uuencode|uuencode|x-uue)\b/i;

/**
 * The transfer encoding to use when the header spells one in a way mailparser does not read
 * ('"base64"', 'base64; charset=x', 'Base64 (text)'), or null when it is clean or names none.
 */
export function cleanTransferEncoding(value: string): string | null {
  const v = value.trim().toLowerCase();
  if (v === '' || /^[\w-]+$/.test(v)) return null;
  return ENCODINGS.exec(v)?.[1]?.toLowerCase() ?? null;
}

/**
 * A body declared base64 that is prose: characters base64 never holds (punctuation), or most
 * lines broken by spaces into words. Decoding it would turn the sender's text into garbage bytes.
 */
export function isProseNotBase64(sample: string): boolean {
  let nonSpace = 0;
  let foreign = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    nonSpace++;
    // A-Z a-z 0-9 + / = and the URL-safe - _
    const b64 =
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 47 ||
      c === 61 ||
      c === 45 ||
      c === 95;
    if (!b64) foreign++;
  }
  if (nonSpace === 0) return false;
  const lines = sample.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (foreign > 0 && isBase64WithStrays(lines)) return false;
  const worded = lines.filter((l) => (l.trim().match(/[ \t]+/g)?.length ?? 0) >= 3).length;
  if (foreign / nonSpace >= 0.03) return true;
  return worded * 2 > lines.length && !isSpacedBase64(lines);
}

/**
 * Base64 with spaces or tabs inside its lines (RFC 2045 6.8: a decoder ignores them), e.g.
 * "SGVs  bG8g  V29y  bGQ=": nothing but the alphabet, lines of whole 4-character groups once the
 * blanks are gone, and it decodes to text. Words of prose with no punctuation decode to random bytes.
 */
function isSpacedBase64(lines: string[]): boolean {
  const runs = lines.map((l) => l.replace(/[ \t]+/g, ''));
  // The sample may end inside a line, so the last one need not be whole groups.
  if (runs.slice(0, -1).some((r) => r.length % 4 !== 0)) return false;
  const joined = runs.join('');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(joined)) return false;
  const whole = joined.slice(0, joined.length & ~3);
  if (!decodesToText(whole)) return false;
  // Letters-only prose can decode to a printable run (":Kajy,jZ-"); text is mostly letters, digits
  // and blanks, with a blank among them or written in a script beyond ASCII (CJK has no blanks).
  const decoded = Buffer.from(whole.replace(/=+$/, ''), 'base64');
  const chars = [...(isUtf8(decoded) ? decoded.toString('utf8') : decoded.toString('latin1'))];
  const wordy = chars.filter((c) => /[\p{L}\p{N}\s]/u.test(c)).length;
  const wide = chars.filter((c) => c.charCodeAt(0) > 0x7f).length;
  return (
    (chars.some((c) => /\s/.test(c)) || wide * 2 >= chars.length) && wordy >= 0.8 * chars.length
  );
}

/**
 * Base64 as encoders write it, with stray characters RFC 2045 6.8 says to ignore (a gateway's
 * '!' or '.', a '>' put before a line): every line one unbroken run, and what its alphabet
 * characters decode to is text (no control bytes; UTF-8, or few 8-bit bytes). Prose read as
 * base64 gives random bytes, which are neither.
 */
function isBase64WithStrays(lines: string[]): boolean {
  if (lines.some((l) => /\s/.test(l.trim()))) return false;
  return decodesToText(lines.join('').replace(/[^A-Za-z0-9+/=]/g, ''));
}

/** Whether base64 alphabet characters (12 or more) decode to text: no control bytes; UTF-8 or few 8-bit bytes. */
function decodesToText(base64: string): boolean {
  const alphabet = base64.replace(/=+$/, '');
  if (alphabet.length < 12) return false;
  const bytes = Buffer.from(alphabet, 'base64');
  if (hasControlBytes(bytes)) return false;
  let high = 0;
  for (const b of bytes) if (b >= 0x80) high++;
  return isUtf8(bytes) || high * 10 <= bytes.length;
}

// RFC 2046 boundary characters, 1 to 70 of them; at least one letter or digit, so a rule of
// dashes ("-----") or a signature separator is never taken for one.
const BOUNDARY_TOKEN = /^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/;
const MAX_GUESS_LINES = 1000;

interface LineSource {
  readonly length: number;
  charCodeAt(index: number): number;
  indexOf(needle: string, from?: number): number;
  slice(start: number, end?: number): string;
}

/**
 * The boundary a multipart body actually uses, read from its "--token" lines between `from` and
 * `to`: the first token that opens or closes at least twice. Null when none does.
 */
export function guessBoundary(s: LineSource, from: number, to: number): string | null {
  const seen = new Map<string, number>();
  let ls =
    s.charCodeAt(from) === 45 && s.charCodeAt(from + 1) === 45 ? from : s.indexOf('\n--', from) + 1;
  for (let n = 0; ls > 0 && ls < to && n < MAX_GUESS_LINES; n++) {
    const le = s.indexOf('\n', ls);
    const line = s
      .slice(ls + 2, le < 0 ? Math.min(to, ls + 200) : Math.min(le, ls + 200))
      .replace(/[ \t\r]+$/, '');
    const token = line.endsWith('--') ? line.slice(0, -2) : line;
    if (BOUNDARY_TOKEN.test(token) && /[0-9A-Za-z]/.test(token)) {
      const count = (seen.get(token) ?? 0) + 1;
      if (count >= 2) return token;
      seen.set(token, count);
    }
    if (le < 0) break;
    ls = s.indexOf('\n--', le) + 1;
  }
  return null;
}

/** A header block with the repair applied (the block's line ending kept). */
export function repairHeaderBlock(block: string, r: HeaderRepair): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  let out = block;
  if (r.cte)
    out = out.replace(/^(content-transfer-encoding[ \t]*:).*(?:\r?\n[ \t].*)*/im, `$1 ${r.cte}`);
  if (r.contentType !== undefined) {
    // The chosen one takes the first Content-Type's place; the others go.
    let first = true;
    out = out.replace(/^content-type[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n)?/gim, (m) => {
      if (!first) return '';
      first = false;
      return `Content-Type: ${r.contentType}${m.endsWith('\n') ? eol : ''}`;
    });
  }
  const ct = /^content-type[ \t]*:.*(?:\r?\n[ \t].*)*/im.exec(out);
  if (ct && r.asText) {
    const charset = /;\s*charset\s*=\s*("[^"]*"|[^;\s]*)/i.exec(ct[0])?.[1];
    out = `${out.slice(0, ct.index)}Content-Type: text/plain${charset ? `; charset=${charset}` : ''}${out.slice(ct.index + ct[0].length)}`;
  } else if (ct && r.boundary !== undefined) {
    const quoted = `"${r.boundary.replace(/(["\\])/g, '\\$1')}"`;
    const field = /;\s*boundary\s*=/i.test(ct[0])
      ? ct[0].replace(/(;\s*boundary\s*=\s*)("[^"]*"|[^;\s]*)/i, `$1${quoted}`)
      : `${ct[0].replace(/[;\s]+$/, '')}; boundary=${quoted}`;
    out = out.slice(0, ct.index) + field + out.slice(ct.index + ct[0].length);
  }
  return out.endsWith('\n') || out === '' ? out : `${out}${eol}`;
}

/**
 * The repairs one header block needs, found on the raw bytes `s`; `h` is updated to what the
 * repaired block declares, so the scan goes on reading the structure mailparser will see.
 * `regionEnd` is where the part ends (its parent's next boundary), asked for only when guessing.
 */
export function planRepair(
  s: LineSource,
  h: HeaderBlock,
  headerStart: number,
  { isTop, attached }: { isTop: boolean; attached: boolean },
  regionEnd: () => number,
): {
  repair: HeaderRepair | null;
  insertions: { at: number; text: string }[];
  base64Footer: Base64Footer | null;
} {
  const insertions: { at: number; text: string }[] = [];
  let base64Footer: Base64Footer | null = null;
  const crlf = h.end >= 2 && s.charCodeAt(h.end - 2) === 13;
  if (h.blankMissing) insertions.push({ at: h.end, text: crlf ? '\r\n' : '\n' });
  for (const at of h.unfolded ?? []) insertions.push({ at, text: ' ' });
  let cte = cleanTransferEncoding(h.cte);
  let boundary: string | undefined;
  let renamed: string | undefined;
  let asText = false;
  let contentType: string | undefined;
  // Two Content-Types: a later multipart one whose boundary the body uses is the real one.
  for (const v of h.type.startsWith('multipart/') ? [] : (h.moreTypes ?? [])) {
    const b = boundaryParam(v);
    if (/^\s*multipart\//i.test(v) && b && s.indexOf(`--${b}`, h.bodyStart) >= 0) {
      contentType = v;
      h.type = (v.split(';')[0] ?? '').trim().toLowerCase();
      h.boundary = b;
      break;
    }
  }
  // RFC 2045 5.2: a Content-Type that is no type/subtype is read as text/plain (mailparser made the
  // part a nameless attachment and the message lost its text), unless the part names a file: that
  // stays a file. A valid type followed by stray words (a line that went on unfolded, a missing
  // ';') keeps its type and parameters. Attached messages keep their bytes.
  if (!attached && h.type !== '' && contentType === undefined && !MEDIA_TYPE.test(h.type)) {
    const valid = MEDIA_TYPE_START.exec(h.type)?.[1];
    const file =
      /^\s*attachment/i.test(h.disposition) ||
      param(h.typeParams, 'name\\*?') !== null ||
      param(h.disposition, 'filename\\*?') !== null;
    if (valid) {
      h.type = valid;
      contentType = `${valid}${h.typeParams}`;
    } else if (!file) {
      asText = true;
      h.type = 'text/plain';
    }
  }
  // A text part declared base64 that holds prose is shown as the prose.
  if (
    (cte ?? h.cte) === 'base64' &&
    (h.type === 'text/plain' || h.type === 'text/html' || h.type === '') &&
    !/^\s*attachment/i.test(h.disposition)
  ) {
    const bodyEnd = attached ? -1 : regionEnd();
    const footerStart = attached ? null : base64FooterStart(s, h.bodyStart, bodyEnd);
    const sample = s.slice(h.bodyStart, Math.min(s.length, h.bodyStart + 4096));
    const cut = sample.indexOf('\n--');
    if (footerStart !== null) base64Footer = { bodyStart: h.bodyStart, footerStart, bodyEnd };
    else if (isProseNotBase64(cut < 0 ? sample : sample.slice(0, cut))) cte = '8bit';
  }
  if (
    h.type.startsWith('multipart/') &&
    (h.boundary === null || s.indexOf(`--${h.boundary}`, h.bodyStart) < 0)
  ) {
    const guess = guessBoundary(s, h.bodyStart, regionEnd());
    // No boundary line at all: a whole message is shown as the text it is rather than as no
    // parts; a nested one stays a preamble nobody is shown, as clients do.
    if (guess !== null) boundary = guess;
    else if (isTop) asText = true;
  }
  // A boundary with a non-ASCII byte (a header written in UTF-8 or a legacy charset): mailparser
  // splits by none, and the message lost its text and files. The block is given an ASCII boundary,
  // unique by where the block starts; the scan renames the delimiter lines (mime-scan.ts) and goes
  // on matching them by the boundary as sent (h.boundary is kept). A control byte is renamed too,
  // harmlessly. Attached messages keep their bytes.
  if (
    !attached &&
    boundary === undefined &&
    h.type.startsWith('multipart/') &&
    h.boundary !== null &&
    /[^\x20-\x7e]/.test(h.boundary)
  )
    renamed = `${ASCII_BOUNDARY}${headerStart}`;
  if (cte) h.cte = cte;
  if (boundary !== undefined) h.boundary = boundary;
  boundary ??= renamed;
  if (asText) h.type = 'text/plain';
  const repair =
    cte || boundary !== undefined || asText || contentType !== undefined
      ? {
          start: headerStart,
          end: h.end,
          ...(contentType !== undefined ? { contentType } : {}),
          ...(cte ? { cte } : {}),
          ...(boundary !== undefined ? { boundary } : {}),
          ...(asText ? { asText } : {}),
        }
      : null;
  return { repair, insertions, base64Footer };
}
