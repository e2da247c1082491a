// Finding the boundary lines of the open multiparts in the raw bytes, over a latin1 view of them.

/**
 * The few string operations the scanner needs, over the raw bytes read as latin1 (one char per
 * byte). A large message gets a view instead of `raw.toString('latin1')`: that copy of a 25 MB
 * message lived until a major GC and was a quarter of the ingest's peak memory. Up to
 * `STRING_SCAN_MAX` the copy is the cheaper choice (measured on the corpus: 40% less scan time below
 * 16 KB, 25% at 16–128 KB, none above): every header line read through the view was a Buffer→string
 * conversion and every indexOf a native call, together most of the scan's time.
 */
export interface TextView {
  readonly length: number;
  charCodeAt(index: number): number;
  indexOf(needle: string, from?: number): number;
  slice(start: number, end?: number): string;
}

export const STRING_SCAN_MAX = 128 * 1024;

export function latin1View(buf: Buffer): TextView {
  return {
    length: buf.length,
    charCodeAt: (i) => buf[i] ?? Number.NaN,
    indexOf: (needle, from = 0) => buf.indexOf(needle, from, 'latin1'),
    slice: (start, end = buf.length) =>
      start >= end ? '' : buf.toString('latin1', start, Math.min(end, buf.length)),
  };
}

function matchBoundary(
  line: string,
  stack: (string | null)[],
): { index: number; closing: boolean; stray?: number } | null {
  for (let i = stack.length - 1; i >= 0; i--) {
    const b = stack[i];
    if (b == null) continue;
    if (line === b) return { index: i, closing: false };
    if (line === `${b}--`) return { index: i, closing: true };
  }
  // RFC 2046 5.1.1: "it is sufficient that the boundary appear in its entirety following the
  // CRLF"; what follows it on the line is stray. Of several open boundaries the longest matches.
  let best: { index: number; closing: boolean; stray: number } | null = null;
  for (let i = stack.length - 1; i >= 0; i--) {
    const b = stack[i];
    if (b == null || !line.startsWith(b) || (best && stack[best.index]!.length >= b.length))
      continue;
    const closing = line.startsWith('--', b.length);
    best = { index: i, closing, stray: b.length + (closing ? 2 : 0) };
  }
  return best;
}

/**
 * The line without trailing spaces, tabs and CRs. `.replace(/[ \t\r]+$/, '')` did the same but
 * retried the run from each of its characters when it did not reach the end: a 1,000-character
 * '--' line of tabs then a letter cost half a million steps, on every such line of the message.
 */
export function trimSpaceTabCr(line: string): string {
  let end = line.length;
  for (
    let c = line.charCodeAt(end - 1);
    c === 32 || c === 9 || c === 13;
    c = line.charCodeAt(end - 1)
  )
    end--;
  return end === line.length ? line : line.slice(0, end);
}

export function boundaryLine(s: TextView, ls: number, stack: (string | null)[]) {
  let le = s.indexOf('\n', ls);
  const next = le < 0 ? s.length : le + 1;
  if (le < 0) le = s.length;
  if (s.charCodeAt(ls) !== 45 || s.charCodeAt(ls + 1) !== 45) return { match: null, next };
  const line = trimSpaceTabCr(s.slice(ls + 2, Math.min(le, ls + 2 + 1000)));
  const m = matchBoundary(line, stack);
  if (m === null) return { match: null, next };
  const { stray, ...match } = m;
  return {
    match:
      stray === undefined
        ? match
        : { ...match, stray: { start: ls + 2 + stray, end: ls + 2 + line.length } },
    next,
  };
}

export interface Boundary {
  index: number;
  closing: boolean;
  /** Text after the boundary on its line (mailparser would not take the line for a boundary). */
  stray?: { start: number; end: number };
  ls: number;
  next: number;
}

/**
 * The next boundary line of any open multipart at or after `pos`, jumping from one "--" line start
 * to the next (only those can be boundaries), and where scanning stopped.
 */
export function nextBoundary(
  s: TextView,
  pos: number,
  stack: (string | null)[],
): { found: Boundary | null; pos: number } {
  while (pos < s.length && stack.some((b) => b !== null)) {
    const ls =
      s.charCodeAt(pos) === 45 && s.charCodeAt(pos + 1) === 45 ? pos : s.indexOf('\n--', pos) + 1;
    if (ls <= 0) break;
    const { match, next } = boundaryLine(s, ls, stack);
    pos = next;
    if (match) return { found: { ...match, ls, next }, pos };
  }
  return { found: null, pos };
}
