// A mailing list that appends its footer as plain text after a base64 body (Mailman and others do
// this to single-part mail) leaves a part that is half base64, half text. Read as base64 the footer
// turns into garbage bytes at the end; read as text (when the footer makes the body look like
// prose) the whole message shows raw. The base64 run is decoded and the footer kept as text.
import type { TextView } from './mime-boundaries.js';

const B64_LINE = /^[A-Za-z0-9+/]+={0,2}[ \t\r]*$/;
// A line of words: what base64, even with stray characters, never holds.
const PROSE_LINE = /[A-Za-z]{2,}[ \t]+\S/;
// Only the end of the body is read for the footer; footers are a few lines.
const TAIL = 4096;
// A full encoded line (encoders write 60 to 76 characters): one after the footer means the base64
// goes on, so the "footer" is stray text inside it, which RFC 2045 6.8 says to skip.
const FULL_LINE = 40;

/**
 * Where the text footer after a base64 text body starts, or null when the body is not a base64
 * run followed by lines of words. The run must decode to text (no control bytes).
 */
export function base64FooterStart(s: TextView, bodyStart: number, bodyEnd: number): number | null {
  const head = s
    .slice(bodyStart, Math.min(bodyEnd, bodyStart + 200))
    .replace(/^(?:[ \t]*\r?\n)+/, '');
  if (!B64_LINE.test(head.split('\n')[0] ?? '')) return null;
  const tailStart = Math.max(bodyStart, bodyEnd - TAIL);
  const lines = s.slice(tailStart, bodyEnd).split('\n');
  let at = tailStart;
  let lastB64 = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const blank = line.trim() === '';
    if (!blank && !B64_LINE.test(line)) {
      const rest = lines.slice(i);
      if (!lastB64 || !rest.some((l) => PROSE_LINE.test(l))) return null;
      if (rest.some((l) => B64_LINE.test(l) && l.trim().length >= FULL_LINE)) return null;
      return decodesToText(s.slice(bodyStart, Math.min(at, bodyStart + TAIL))) ? at : null;
    }
    if (!blank) lastB64 = true;
    at += line.length + 1;
  }
  return null;
}

function decodesToText(run: string): boolean {
  const alphabet = run.replace(/[^A-Za-z0-9+/]/g, '');
  const bytes = Buffer.from(alphabet.slice(0, alphabet.length - (alphabet.length % 4)), 'base64');
  return bytes.length > 0 && !hasControlBytes(bytes);
}

/** Control bytes other than tab, line ends and form feed: text never holds them. */
export function hasControlBytes(bytes: Buffer): boolean {
  for (const b of bytes)
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f)
      return true;
  return false;
}

/** The body re-encoded: the run's bytes, then the footer's bytes as sent, all in base64. */
export function base64WithFooter(run: Buffer, footer: Buffer): Buffer {
  const decoded = Buffer.from(run.toString('latin1'), 'base64');
  const joined = Buffer.concat([
    decoded,
    Buffer.from(decoded.length === 0 || decoded[decoded.length - 1] === 0x0a ? '' : '\r\n'),
    footer,
  ]);
  return Buffer.from(joined.toString('base64').replace(/.{1,76}/g, '$&\r\n'), 'latin1');
}
