// RFC 2047 encoded words the MIME library would get wrong: words whose bytes contradict the
// charset they name, raw 8-bit bytes inside a word, and UTF-7 words. Each is rewritten as a UTF-8
// word, decoded with the charset guessing of header-charset.ts.
import { isUtf8 } from 'node:buffer';

import { decoderFor, decodeUnknownBytes, SEVEN_BIT } from './header-charset.js';
import { decodeUtf7, isUtf7Label } from './utf7.js';

// One RFC 2047 word. Words separated by white space only form a run, decoded as one byte string
// (a UTF-8 or Shift_JIS character may be split across two words).
const WORD = /=\?([^?*\s]+)(?:\*[^?]*)?\?([bBqQ])\?([^?\s]*)\?=/g;
const UTF8_LABEL = /^utf-?8$/;
// A word under a 7-bit label, found without decoding anything (the scan runs on every message).
const SEVEN_BIT_WORD = /=\?(us-?ascii|ascii|iso-2022-|hz-gb-2312|utf-7)/i;

const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;

function wordBytes(enc: string, payload: string): Buffer {
  if (enc === 'b' || enc === 'B') return Buffer.from(payload, 'base64');
  // Q: a plain loop, several times faster than a replace() with a callback on long word runs.
  const out = Buffer.allocUnsafe(payload.length);
  let n = 0;
  for (let i = 0; i < payload.length; i++) {
    const c = payload.charCodeAt(i);
    const hi = c === 61 ? hexValue(payload.charCodeAt(i + 1)) : -1;
    const lo = hi >= 0 ? hexValue(payload.charCodeAt(i + 2)) : -1;
    if (lo >= 0) {
      out[n++] = hi * 16 + lo;
      i += 2;
    } else out[n++] = c === 95 ? 32 : c & 0xff;
  }
  return out.subarray(0, n);
}

interface WordRun {
  start: number;
  end: number;
  label: string;
  bytes: Buffer;
}

/**
 * Word runs whose bytes contradict their label: 8-bit bytes under a 7-bit label, or (with
 * `utf8`) invalid UTF-8 under a UTF-8 one. Words of other charsets are not even decoded.
 */
function mislabelledRuns(block: string, utf8: boolean): WordRun[] {
  const out: WordRun[] = [];
  let run: { start: number; end: number; label: string; parts: Buffer[] } | null = null;
  const finish = () => {
    if (!run) return;
    const bytes = run.parts.length === 1 ? run.parts[0]! : Buffer.concat(run.parts);
    const eightBit = bytes.some((x) => x >= 0x80);
    if (eightBit && (SEVEN_BIT.test(run.label) || !isUtf8(bytes)))
      out.push({ start: run.start, end: run.end, label: run.label, bytes });
    run = null;
  };
  for (const m of block.matchAll(WORD)) {
    const label = m[1]!.toLowerCase();
    const suspect = SEVEN_BIT.test(label) || (utf8 && UTF8_LABEL.test(label));
    const adjacent =
      run !== null && run.label === label && /^\s*$/.test(block.slice(run.end, m.index));
    if (!adjacent) finish();
    if (!suspect) continue;
    const bytes = wordBytes(m[2]!, m[3]!);
    if (run) {
      run.parts.push(bytes);
      run.end = m.index + m[0].length;
    } else run = { start: m.index, end: m.index + m[0].length, label, parts: [bytes] };
  }
  finish();
  return out;
}

/**
 * Does a header block hold a word whose bytes contradict its label? Without `utf8`, only 7-bit
 * labels are checked, behind a single regex test: cheap enough for every message. UTF-8 words are
 * checked only once the parser's output shows U+FFFD (see parse.ts).
 */
export function hasMislabelledWords(block: string, utf8 = false): boolean {
  if (!block.includes('=?') || (!utf8 && !SEVEN_BIT_WORD.test(block))) return false;
  return mislabelledRuns(block, utf8).length > 0;
}

/**
 * Rewrites word runs whose bytes contradict their label as UTF-8 words, decoding them like raw
 * 8-bit bytes (the label's siblings first: Shift_JIS for ISO-2022-JP). Other text is untouched.
 */
export function fixMislabelledWords(block: string, declared: string[] = [], utf8 = false): string {
  if (!block.includes('=?') || (!utf8 && !SEVEN_BIT_WORD.test(block))) return block;
  const runs = mislabelledRuns(block, utf8);
  if (runs.length === 0) return block;
  let out = '';
  let at = 0;
  for (const r of runs) {
    const { text } = decodeUnknownBytes(r.bytes, [r.label, ...declared]);
    out += `${block.slice(at, r.start)}=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
    at = r.end;
  }
  return out + block.slice(at);
}

// A word whose payload holds raw 8-bit bytes (a client that put Latin-1 straight into "=?iso-8859-1?Q?Gr\xfcn?="),
// or one labelled UTF-7, which the MIME library will not decode.
const RAW_OR_UTF7_WORD =
  /=\?([^?*\s]+)(?:\*[^?]*)?\?([bBqQ])\?([^?\s]*[\x80-\xff][^?\s]*|[^?\s]*)\?=/g;

/**
 * Rewrites, in a header block held as latin1, the words the MIME library would get wrong as UTF-8
 * words: raw 8-bit bytes inside a word are bytes of the word's charset (not of the block's), and
 * UTF-7 words are decoded here. Must run before the block's 8-bit bytes are re-encoded as UTF-8.
 */
export function fixRawWords(block: string): string {
  if (!block.includes('=?')) return block;
  return withoutFoldsInWords(block).replace(
    RAW_OR_UTF7_WORD,
    (word, label: string, enc: string, payload: string) => {
      const raw = /[\x80-\xff]/.test(payload);
      if (!raw && !isUtf7Label(label)) return word;
      const bytes = wordBytes(enc, payload);
      let text: string;
      if (isUtf7Label(label)) text = decodeUtf7(bytes.toString('latin1'));
      else {
        const d = decoderFor(label.toLowerCase());
        try {
          text = d ? d.decode(bytes) : decodeUnknownBytes(bytes, [label]).text;
        } catch {
          text = decodeUnknownBytes(bytes, [label]).text;
        }
      }
      return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
    },
  );
}

/** Does a header block need fixRawWords? Cheap enough for every block the scan reads. */
export const hasRawWords = (block: string): boolean =>
  block.includes('=?') &&
  (/=\?(?:unicode-1-1-)?utf-?7\?/i.test(block) ||
    /=\?[^?\s]+\?[bBqQ]\?[^?\s]*[\x80-\xff]/.test(block));

/** Does a header block hold an encoded word cut by a line fold (fixRawWords joins it)? */
export const hasFoldInWord = (block: string): boolean =>
  block.includes('=?') && FOLD_IN_WORD.test(block);

// A line fold inside one encoded word: a mailer that wrapped long lines cut the word in two.
const FOLD_IN_WORD = /(=\?[^?\s]+\?[bBqQ]\?[^?\s]*)\r?\n[ \t]+(?=[^?\s]*\?=)/;
const FOLDS_IN_WORDS = new RegExp(FOLD_IN_WORD.source, 'g');

/**
 * Folds inside encoded words removed. Neither encoding has white space in it (RFC 2047 section 5:
 * Q writes a space as '_'), so the fold's white space was never the sender's text; unfolded as
 * RFC 5322 says, it showed as a space in the middle of a word ("K öln").
 */
function withoutFoldsInWords(block: string): string {
  let out = block;
  // Each pass joins one fold per word; a word cut three times needs three.
  for (let i = 0; i < 8 && FOLD_IN_WORD.test(out); i++) out = out.replace(FOLDS_IN_WORDS, '$1');
  return out;
}
