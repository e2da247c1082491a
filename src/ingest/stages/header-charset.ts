// Raw 8-bit header bytes that are not UTF-8, and RFC 2047 words whose bytes do not fit the charset
// they name (Shift_JIS labelled ISO-2022-JP, Latin-1 labelled UTF-8), are decoded here. The message
// itself is the best evidence: the charsets it declares elsewhere are tried first, then the
// encodings such headers are usually written in. A single-byte charset decodes any bytes, so the
// first one that "works" is no answer; every candidate is scored on what it produced and the most
// plausible text wins (windows-1252 only when nothing better fits).
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

// A declared CJK charset often comes with raw header bytes in a sibling encoding.
const CHARSET_FAMILY: Record<string, string[]> = {
  'iso-2022-jp': ['shift_jis', 'euc-jp'],
  shift_jis: ['euc-jp'],
  gb2312: ['gb18030'],
  gbk: ['gb18030'],
  'hz-gb-2312': ['gb18030'],
  'ks_c_5601-1987': ['euc-kr'],
  'iso-2022-kr': ['euc-kr'],
};

// What undeclared 8-bit headers are written in, in practice. Single-byte Cyrillic/Greek are left
// out on purpose: they turn any CJK byte pair into two plausible letters.
const LIKELY = ['windows-1252', 'gb18030', 'big5', 'shift_jis', 'euc-jp', 'euc-kr'];
// Labels that cannot hold 8-bit bytes: 8-bit content under them is always mislabelled.
export const SEVEN_BIT = /^(us-?ascii|ascii|iso-2022-[a-z]+(-\d)?|hz-gb-2312|utf-7)$/;
const DECLARED_BONUS = 0.3;

const decoders = new Map<string, TextDecoder | null>();
export function decoderFor(label: string): TextDecoder | null {
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label, { fatal: true });
    } catch {
      d = null;
    }
    decoders.set(label, d);
  }
  return d;
}

/** How much a decoded non-ASCII character looks like real text (higher is likelier). */
function charWeight(cp: number, inLongRun: boolean): number {
  if (cp >= 0x3041 && cp <= 0x30ff) return 2; // kana
  if (cp >= 0x4e00 && cp <= 0x9fff) return 1;
  if ((cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff01 && cp <= 0xff5e)) return 1;
  if (cp >= 0xac00 && cp <= 0xd7a3) return 1;
  if (cp >= 0xc0 && cp <= 0xff && cp !== 0xd7 && cp !== 0xf7) return inLongRun ? 0 : 1;
  if (cp >= 0x100 && cp <= 0x17f) return inLongRun ? 0 : 0.5;
  if (cp >= 0x370 && cp <= 0x6ff) return 1; // Greek, Cyrillic, Hebrew, Arabic
  if ((cp >= 0x2010 && cp <= 0x203a) || cp === 0x20ac || cp === 0x2122) return 0.5;
  if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0xe000 && cp <= 0xf8ff) || cp === 0xfffd) return -3;
  return -1;
}

/** Mean plausibility per non-ASCII character of a single-byte decoding. */
export function singleBytePlausibility(text: string): number {
  let sum = 0;
  let chars = 0;
  const cps = Array.from(text, (c) => c.codePointAt(0)!);
  const high = (j: number) => (cps[j] ?? 0) >= 0x80;
  for (let i = 0; i < cps.length; i++) {
    if (!high(i)) continue;
    // Three non-ASCII characters in a row are rare in Latin-script text and the rule in mojibake.
    const inLongRun =
      (high(i - 1) && high(i + 1)) || (high(i + 1) && high(i + 2)) || (high(i - 1) && high(i - 2));
    sum += charWeight(cps[i]!, inLongRun);
    chars++;
  }
  return chars === 0 ? 0 : sum / chars;
}

type Scheme = 'gb' | 'big5' | 'sjis' | 'eucjp' | 'euckr';
const SCHEMES: [RegExp, Scheme][] = [
  [/^(gb2312|gbk|gb18030|x-gbk|cp936|euc-cn)$/, 'gb'],
  [/^(big5|big5-hkscs|x-x-big5|cn-big5)$/, 'big5'],
  [/^(shift[_-]jis|sjis|x-sjis|windows-31j|cp932|ms_kanji)$/, 'sjis'],
  [/^(euc-jp|x-euc-jp)$/, 'eucjp'],
  [/^(euc-kr|ks_c_5601-1987|cp949|windows-949)$/, 'euckr'],
];
const inRange = (b: number, lo: number, hi: number) => b >= lo && b <= hi;

/**
 * How typical each multi-byte character is, judged on its bytes: the rows that hold kana, common
 * hanzi/kanji or hangul score high, vendor extensions and rare rows low. A Latin-1 "Müßig" is a
 * valid GBK pair too, but one from the extension area no Chinese subject line is written in.
 */
function multiBytePlausibility(scheme: Scheme, buf: Buffer): number {
  let sum = 0;
  let chars = 0;
  for (let i = 0; i < buf.length;) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const t = buf[i + 1] ?? 0;
    let w = -0.5;
    let len = 2;
    if (scheme === 'gb') {
      if (inRange(t, 0x30, 0x39)) len = 4;
      else if (inRange(b, 0xb0, 0xf7) && inRange(t, 0xa1, 0xfe)) w = 1;
      else if (inRange(b, 0xa1, 0xa9) && inRange(t, 0xa1, 0xfe)) w = 0.5;
    } else if (scheme === 'big5') {
      if (inRange(b, 0xa4, 0xc6)) w = 1;
      else if (inRange(b, 0xa1, 0xa3)) w = 0.5;
      else if (inRange(b, 0xc9, 0xf9)) w = 0.25;
    } else if (scheme === 'sjis') {
      if (inRange(b, 0xa1, 0xdf)) len = 1;
      else if (b === 0x82 || b === 0x83) w = 2;
      else if (b === 0x81) w = 0.5;
      else if (inRange(b, 0x88, 0x9f) || inRange(b, 0xe0, 0xea)) w = 1;
    } else if (scheme === 'eucjp') {
      if (b === 0x8e) len = 2;
      else if (b === 0x8f) len = 3;
      else if (b === 0xa4 || b === 0xa5) w = 2;
      else if (b === 0xa1) w = 0.5;
      else if (inRange(b, 0xb0, 0xf4)) w = 1;
    } else if (inRange(b, 0xb0, 0xc8) && inRange(t, 0xa1, 0xfe)) w = 1;
    else if (inRange(b, 0xa1, 0xfd) && inRange(t, 0xa1, 0xfe)) w = 0.25;
    sum += w;
    chars++;
    i += len;
  }
  return chars === 0 ? 0 : sum / chars;
}

function plausibility(label: string, buf: Buffer, text: string): number {
  const scheme = SCHEMES.find(([re]) => re.test(label))?.[1];
  return scheme ? multiBytePlausibility(scheme, buf) : singleBytePlausibility(text);
}

function expand(labels: string[]): string[] {
  const out: string[] = [];
  for (const raw of labels) {
    const label = raw.trim().toLowerCase();
    for (const l of [label, ...(CHARSET_FAMILY[label] ?? [])]) if (!out.includes(l)) out.push(l);
  }
  return out;
}

export interface Decoded {
  text: string;
  /** The encoding chosen ('utf-8' when the bytes were valid UTF-8). */
  charset: string;
  /** True unless the bytes were ASCII or valid UTF-8: the caller records charset_fallback. */
  guessed: boolean;
}

/**
 * Bytes of unknown encoding → text: UTF-8 when valid, else the most plausible decoding among the
 * declared charsets (first ones favoured) and the likely ones.
 */
export function decodeUnknownBytes(buf: Buffer, declared: string[] = []): Decoded {
  if (isUtf8(buf)) return { text: buf.toString('utf8'), charset: 'utf-8', guessed: false };
  const own = expand(declared).filter((l) => !/^(utf-?8|utf-16.*)$/.test(l) && !SEVEN_BIT.test(l));
  let best: { text: string; charset: string; score: number } | null = null;
  for (const label of [...own, ...LIKELY.filter((l) => !own.includes(l))]) {
    const d = decoderFor(label);
    if (!d) continue;
    let text: string;
    try {
      text = d.decode(buf);
    } catch {
      continue;
    }
    const plausible = plausibility(label, buf, text);
    const score = plausible + (own.includes(label) ? DECLARED_BONUS : 0);
    if (plausible > 0 && (!best || score > best.score)) best = { text, charset: label, score };
  }
  // Nothing reads as text (a stray byte or two): windows-1252 at least keeps every byte visible.
  return best
    ? { text: best.text, charset: best.charset, guessed: true }
    : { text: decoderFor('windows-1252')!.decode(buf), charset: 'windows-1252', guessed: true };
}
