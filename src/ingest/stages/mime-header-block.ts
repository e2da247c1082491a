// Reading one header block of the message or of a part: the few fields the scan needs, and where
// the body starts even when the sender left the blank line out or did not fold a long field.
import type { TextView } from './mime-boundaries.js';
import { boundaryLine } from './mime-boundaries.js';
import { limitError } from './mime-limits.js';
import { boundaryParam, isFieldLine, param } from './mime-repair.js';

export interface HeaderBlock {
  type: string;
  /** The first Content-Type's parameters from its first ';' on, or ''. */
  typeParams: string;
  boundary: string | null;
  charset: string | null;
  cte: string;
  /** Only read for message/* parts: an attached (not inline) message is kept byte for byte. */
  attachment: boolean;
  /** Content-Disposition is not "attachment" and the part names a file (filename= or name=). */
  namedInline: boolean;
  disposition: string;
  end: number;
  bodyStart: number;
  /** The body starts at `end` though no blank line ends the header (a line that is no field does). */
  blankMissing?: boolean;
  /** Starts of lines that continue the field above without being folded. */
  unfolded?: number[];
  /** Values of further Content-Type fields after the first (a second, contradicting one). */
  moreTypes?: string[];
}

export function readHeaderBlock(
  s: TextView,
  pos: number,
  stack: (string | null)[],
  maxBytes: number,
): HeaderBlock {
  let ls = pos;
  const raw: string[] = [];
  const unfolded: number[] = [];
  const lookahead: Lookahead = { lines: [], stop: pos };
  const finish = (end: number, bodyStart: number) =>
    unfolded.length > 0
      ? { ...finishBlock(raw, end, bodyStart), unfolded }
      : finishBlock(raw, end, bodyStart);
  while (ls < s.length) {
    const { match, next } = boundaryLine(s, ls, stack);
    if (match) return finish(ls, ls);
    const line = s.slice(ls, next).replace(/\r?\n$/, '');
    if (line === '' || line === '\r') return finish(ls, next);
    if (next - pos > maxBytes) throw limitError('headers', `more than ${maxBytes} bytes of header`);
    if ((line.startsWith(' ') || line.startsWith('\t')) && raw.length > 0)
      raw[raw.length - 1] += line;
    else if (!isFieldLine(line) && !(ls === 0 && line.startsWith('From '))) {
      if (bodyFollows(s, ls, stack, lookahead)) return { ...finish(ls, ls), blankMissing: true };
      // Otherwise it continues the field above though not folded ("boundary=…" on a line of its
      // own); mailparser would drop it, so it is folded (parse.ts). A broken field of its own
      // ("Thread Topic: x") is left alone: folded, it would change the value of the one above.
      if (raw.length > 0 && !BROKEN_FIELD.test(line)) {
        raw[raw.length - 1] += ` ${line}`;
        unfolded.push(ls);
      }
    } else raw.push(line);
    ls = next;
  }
  return finish(s.length, s.length);
}

// A field name with a space or other stray character in it, then a colon.
const BROKEN_FIELD = /^[A-Za-z][\w .-]{0,40}:/;

/**
 * A line in a header block that is no field starts the body when neither a field nor a blank line
 * follows it before the part (or the message) ends: the sender left the blank line out, and
 * without the repair the text would be read as header and lost. Followed by a field or a blank
 * line it is an unfolded continuation ("boundary=…" on a line of its own), which mailparser joins
 * to the field above, and the header goes on.
 */
function bodyFollows(s: TextView, ls: number, stack: (string | null)[], seen: Lookahead): boolean {
  // Each of thousands of such lines in one block would look 200 lines ahead again (a 1 MiB header
  // of them cost seconds); a look-ahead starting among lines the last one passed resumes where it
  // stopped, with the count it would have reached, so the answer is the same.
  const at = seen.lines.indexOf(ls);
  seen.lines = at < 0 ? [] : seen.lines.slice(at);
  let pos = at < 0 ? ls : seen.stop;
  for (let n = seen.lines.length; pos < s.length; n++) {
    const { match, next } = boundaryLine(s, pos, stack);
    if (match) return true;
    const line = s.slice(pos, Math.min(next, pos + 200));
    if (/^\r?\n?$/.test(line) || isFieldLine(line) || n >= 200) {
      seen.stop = pos;
      return false;
    }
    seen.lines.push(pos);
    pos = next;
  }
  return true;
}

/** Lines a look-ahead passed (neither boundary, blank nor field) and where it stopped. */
interface Lookahead {
  lines: number[];
  stop: number;
}

/** The values of every `name:` line (name lower-case). */
function headerValues(lines: string[], name: string): string[] {
  const n = name.length;
  const out: string[] = [];
  for (const l of lines)
    if (l.charCodeAt(n) === 58 && l.slice(0, n).toLowerCase() === name)
      out.push(l.slice(n + 1).trim());
  return out;
}

/** The value of the first `name:` line (name lower-case), or ''. */
function headerValue(lines: string[], name: string): string {
  const n = name.length;
  for (const l of lines) {
    // ':' first: a cheap test that rejects almost every other line before any copy is made.
    if (l.charCodeAt(n) === 58 && l.slice(0, n).toLowerCase() === name)
      return l.slice(n + 1).trim();
  }
  return '';
}

function finishBlock(lines: string[], end: number, bodyStart: number): HeaderBlock {
  const cts = headerValues(lines, 'content-type');
  const ct = cts[0] ?? '';
  const semi = ct.indexOf(';');
  const type = (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  return {
    typeParams: semi < 0 ? '' : ct.slice(semi),
    ...(cts.length > 1 ? { moreTypes: cts.slice(1) } : {}),
    type,
    boundary: boundaryParam(ct),
    charset: param(ct, 'charset'),
    cte: headerValue(lines, 'content-transfer-encoding').toLowerCase(),
    // mailsplit reads only an inline message as MIME; any other is an attachment, kept as sent.
    attachment:
      type.startsWith('message/') &&
      !/^\s*inline\b/i.test(headerValue(lines, 'content-disposition')),
    disposition: headerValue(lines, 'content-disposition'),
    namedInline:
      !/^\s*attachment\b/i.test(headerValue(lines, 'content-disposition')) &&
      (param(headerValue(lines, 'content-disposition'), 'filename\\*?') !== null ||
        param(ct, 'name\\*?') !== null),
    end,
    bodyStart,
  };
}
