// text/enriched (RFC 1896) and its forerunner text/richtext (RFC 1341) are body text with
// formatting commands. Mail clients show such a part inline as formatted text; mailparser lists it
// as an unnamed attachment, so a message written that way showed no text at all. The part is handed
// on as text/plain: the commands are dropped and line breaks read as each format defines them. Only
// ASCII bytes ('<', '>', CR, LF) are looked at, so the bytes of any ASCII-compatible charset pass
// through unchanged and the part's charset label still applies.
import { decodeTransfer } from './mime-charsets.js';

/** RFC 1896 section 2 and 3: commands dropped, `<<` is '<', n line breaks are n-1 (one is a space). */
function enrichedText(s: string): string {
  // A <param> holds arguments of the command before it, never text.
  const text = s.replace(/<param>[\s\S]*?<\/param>/gi, '');
  let out = '';
  let nofill = 0;
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c === '<') {
      if (text[i + 1] === '<') {
        out += '<';
        i += 2;
        continue;
      }
      const end = text.indexOf('>', i);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      const command = text
        .slice(i + 1, end)
        .trim()
        .toLowerCase();
      if (command === 'nofill') nofill++;
      else if (command === '/nofill') nofill = Math.max(0, nofill - 1);
      i = end + 1;
      continue;
    }
    if (c === '\r' || c === '\n') {
      let breaks = 0;
      while (i < text.length && (text[i] === '\r' || text[i] === '\n')) {
        if (text[i] === '\n' || text[i + 1] !== '\n') breaks++;
        i++;
      }
      out += nofill > 0 ? '\n'.repeat(breaks) : breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** RFC 1341 richtext: line breaks are spaces, <nl> and <np> break lines, <lt> is '<'. */
function richtextText(s: string): string {
  return s
    .replace(/<comment>[\s\S]*?<\/comment>/gi, '')
    .replace(/\r?\n/g, ' ')
    .replace(/<([^<>]*)>/g, (_m, command: string) => {
      const c = command.trim().toLowerCase();
      return c === 'nl' ? '\n' : c === 'np' ? '\n\n' : c === 'lt' ? '<' : '';
    });
}

/** The part's body as its plain text, base64 in lines of 76 (its header says so, enrichedHeader). */
export function enrichedBody(body: Buffer, cte: string, richtext: boolean): string {
  const bytes = decodeTransfer(body, cte.trim().toLowerCase());
  const text = richtext ? richtextText(bytes) : enrichedText(bytes);
  return Buffer.from(text.trim() + '\r\n', 'latin1')
    .toString('base64')
    .replace(/.{1,76}/g, '$&\r\n');
}

/** The part's header block relabelled text/plain (parameters kept) in base64. */
export function enrichedHeader(block: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const kept = block
    .replace(/^content-transfer-encoding[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n)?/gim, '')
    .replace(/^(content-type[ \t]*:[ \t]*)text\/(?:enriched|richtext)/im, '$1text/plain');
  return `${kept.replace(/(?:\r?\n)*$/, '')}${eol}Content-Transfer-Encoding: base64${eol}`;
}
