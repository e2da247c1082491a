// The structural pre-scan of raw RFC 5322 bytes, run before any MIME library sees them: it enforces
// the limits (size, parts, nesting depth, header bytes; mailparser has no part limit of its own, so
// a MIME bomb must be refused here), notes which charsets the message declares anywhere, keeps the
// delivery-status and original headers of a bounce, and finds header blocks with raw 8-bit or
// mislabelled bytes for parse.ts to repair. It reads a latin1 view of the bytes and copies out only
// the small values it keeps.
import { isUtf8 } from 'node:buffer';

import { AppError } from '../../errors.js';
import type { IngestLimits } from '../types.js';
import { defaultIngestLimits } from '../types.js';
import { hasMislabelledWords, hasRawWords } from './header-charset.js';
import { isFieldLine, param, planRepair } from './mime-repair.js';
import type { MimeScan } from './normalise.js';
import { bytesToText, knownCharset } from './normalise.js';
import { fitsInheritedCharset, isUndecodableText, unlabelledCharset } from './undecodable.js';
import { isUtf7Label } from './utf7.js';

const MAX_CAPTURE = 64 * 1024;
// Raw bytes read to decide whether a text part is text (base64 of 64 KiB and some slack).
const UNDECODABLE_SAMPLE = 96 * 1024;

export type LimitName = 'size' | 'parts' | 'depth' | 'headers';

export function limitError(limit: LimitName, detail: string): AppError {
  return limit === 'size'
    ? new AppError(
        'message_too_large',
        `The message is larger than the limit (${detail}).`,
        { limit },
        422,
      )
    : new AppError(
        'message_limit_exceeded',
        `The message exceeds the ${limit} limit (${detail}).`,
        { limit },
        422,
      );
}

export interface HeaderBlock {
  type: string;
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

function matchBoundary(
  line: string,
  stack: (string | null)[],
): { index: number; closing: boolean } | null {
  for (let i = stack.length - 1; i >= 0; i--) {
    const b = stack[i];
    if (b == null) continue;
    if (line === b) return { index: i, closing: false };
    if (line === `${b}--`) return { index: i, closing: true };
  }
  return null;
}

/**
 * The few string operations the scanner needs, over the raw bytes read as latin1 (one char per
 * byte). A large message gets a view instead of `raw.toString('latin1')`: that copy of a 25 MB
 * message lived until a major GC and was a quarter of the ingest's peak memory. Up to
 * `STRING_SCAN_MAX` the copy is the cheaper choice (measured on the corpus: 40% less scan time below
 * 16 KB, 25% at 16–128 KB, none above): every header line read through the view was a Buffer→string
 * conversion and every indexOf a native call, together most of the scan's time.
 */
interface TextView {
  readonly length: number;
  charCodeAt(index: number): number;
  indexOf(needle: string, from?: number): number;
  slice(start: number, end?: number): string;
}

const STRING_SCAN_MAX = 128 * 1024;

function latin1View(buf: Buffer): TextView {
  return {
    length: buf.length,
    charCodeAt: (i) => buf[i] ?? Number.NaN,
    indexOf: (needle, from = 0) => buf.indexOf(needle, from, 'latin1'),
    slice: (start, end = buf.length) =>
      start >= end ? '' : buf.toString('latin1', start, Math.min(end, buf.length)),
  };
}

function boundaryLine(s: TextView, ls: number, stack: (string | null)[]) {
  let le = s.indexOf('\n', ls);
  const next = le < 0 ? s.length : le + 1;
  if (le < 0) le = s.length;
  if (s.charCodeAt(ls) !== 45 || s.charCodeAt(ls + 1) !== 45) return { match: null, next };
  return {
    match: matchBoundary(
      s.slice(ls + 2, Math.min(le, ls + 2 + 1000)).replace(/[ \t\r]+$/, ''),
      stack,
    ),
    next,
  };
}

interface Boundary {
  index: number;
  closing: boolean;
  ls: number;
  next: number;
}

/**
 * The next boundary line of any open multipart at or after `pos`, jumping from one "--" line start
 * to the next (only those can be boundaries), and where scanning stopped.
 */
function nextBoundary(
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

function readHeaderBlock(
  s: TextView,
  pos: number,
  stack: (string | null)[],
  maxBytes: number,
): HeaderBlock {
  let ls = pos;
  const raw: string[] = [];
  const unfolded: number[] = [];
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
      if (bodyFollows(s, ls, stack)) return { ...finish(ls, ls), blankMissing: true };
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
function bodyFollows(s: TextView, ls: number, stack: (string | null)[]): boolean {
  for (let n = 0; ls < s.length; n++) {
    const { match, next } = boundaryLine(s, ls, stack);
    if (match) return true;
    const line = s.slice(ls, Math.min(next, ls + 200));
    if (/^\r?\n?$/.test(line) || isFieldLine(line) || n >= 200) return false;
    ls = next;
  }
  return true;
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
  const type = (ct.split(';')[0] ?? '').trim().toLowerCase();
  return {
    ...(cts.length > 1 ? { moreTypes: cts.slice(1) } : {}),
    type,
    boundary: param(ct, 'boundary'),
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

function decodeCapture(body: string, cte: string): string {
  if (cte === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (cte === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return bytesToText(bytes).text;
  }
  return bytesToText(body).text;
}

/** Walk the MIME structure without decoding: count parts and depth, capture DSN parts. */
export function scanMime(raw: Buffer, limits: IngestLimits = defaultIngestLimits): MimeScan {
  const s: TextView = raw.length <= STRING_SCAN_MAX ? raw.toString('latin1') : latin1View(raw);
  // What the scan keeps is copied out of the bytes: a slice of the whole-message string would keep
  // all of it alive for as long as the parsed message lives.
  const copy = (start: number, end: number) =>
    start >= end ? '' : raw.toString('latin1', start, Math.min(end, raw.length));
  const stack: (string | null)[] = [];
  // Per stack level: is it the body of an attached message? Read up to stack.length only.
  const attachedLevel: boolean[] = [];
  const charsets = new Set<string>();
  const scan: MimeScan = {
    topHeaders: '',
    parts: 1,
    depth: 0,
    declaredCharsets: [],
    isMultipartReport: false,
    deliveryStatus: null,
    originalHeaders: null,
    rawHeaderBlocks: [],
    utf7Bodies: [],
    namedTextParts: [],
    inlineMessages: [],
    plainAsHtml: [],
  };
  let pos = 0;
  let top = true;
  let captureHeaders = false;
  let leaves = 0;
  // Per stack level: is it a multipart/digest (whose parts default to message/rfc822)?
  const digestLevel: boolean[] = [];
  // Per stack level: is it a multipart/alternative (whose parts are versions, not pieces, of the body)?
  const altLevel: boolean[] = [];
  // An HTML version inside an alternative: the message has an HTML body the pieces beside it belong in.
  let altHtml = false;
  const bodyLeaves: {
    type: string;
    start: number;
    end: number;
    bodyStart: number;
    bodyEnd: number;
    cte: string;
    charset: string | null;
  }[] = [];
  // Per stack level: which multipart it is (a serial), so versions of one alternative are grouped.
  const levelSerial: number[] = [];
  let serial = 0;
  // Plain versions in alternatives, by the alternative's serial: [boundary line, body end).
  const plainVersions = new Map<number, { start: number; end: number }[]>();
  // Other renderings of the same text (enriched, Apple Watch HTML), by the alternative's serial, and
  // the alternatives that have a version a client shows (plain or HTML) beside them.
  const renderings = new Map<number, { start: number; end: number }[]>();
  const shownVersions = new Set<number>();
  // Enriched or richtext parts to show as text, with their alternative's serial when in one.
  const enriched: (NonNullable<MimeScan['enrichedBodies']>[number] & { alt: number | null })[] = [];
  // Per stack level: the charset its multipart declares (senders put it there, e.g. on
  // multipart/signed, for parts that carry none of their own).
  const levelCharset: (string | null)[] = [];
  // Where the boundary line opening the current part starts (the part's range to leave out).
  let partLine = 0;
  const push = (entry: string | null) => {
    stack.push(entry);
    levelSerial[stack.length - 1] = ++serial;
    scan.depth = Math.max(scan.depth, stack.length);
    if (stack.length > limits.maxDepth)
      throw limitError('depth', `nested deeper than ${limits.maxDepth}`);
  };
  // Broken structure that would lose the body (mime-repair.ts): the header block is rewritten.
  const repairBlock = (h: HeaderBlock, headerStart: number, isTop: boolean) => {
    const r = planRepair(
      s,
      h,
      headerStart,
      isTop,
      () => nextBoundary(s, h.bodyStart, stack).found?.ls ?? s.length,
    );
    if (r.insertions.length > 0) (scan.insertions ??= []).push(...r.insertions);
    if (r.repair) (scan.headerRepairs ??= []).push(r.repair);
  };
  const countPart = () => {
    if (++scan.parts > limits.maxParts)
      throw limitError('parts', `more than ${limits.maxParts} parts`);
  };
  for (;;) {
    const headerStart = pos;
    const h = readHeaderBlock(s, pos, stack, limits.maxHeaderBytes);
    const isTop = top;
    const inAttachedNow = attachedLevel.slice(0, stack.length).includes(true);
    const block = s.slice(pos, h.end);

    if (
      (/[\x80-\xff]/.test(block) && !isUtf8(Buffer.from(block, 'latin1'))) ||
      // eslint-disable-next-line no-control-regex -- ESC opens an ISO-2022-JP shift sequence
      /\x1b(\$[@B]|\(B)/.test(block) ||
      hasMislabelledWords(block) ||
      hasRawWords(block)
    ) {
      let attached = false;
      for (let i = 0; i < stack.length && !attached; i++) attached = attachedLevel[i] === true;
      scan.rawHeaderBlocks.push({ start: pos, end: h.end, charset: h.charset, attached });
    }
    if (top) {
      scan.topHeaders = copy(0, h.end);
      scan.isMultipartReport = h.type === 'multipart/report';
      top = false;
    }
    if (captureHeaders) {
      scan.originalHeaders ??= bytesToText(copy(pos, Math.min(h.end, pos + MAX_CAPTURE))).text;
      captureHeaders = false;
    }
    if (h.charset && (h.type.startsWith('text/') || h.type === ''))
      charsets.add(h.charset.toLowerCase());
    pos = h.bodyStart;
    repairBlock(h, headerStart, isTop);
    // A message inside the message (a forward sent inline, a digest member, which has no
    // Content-Type of its own) is kept whole as one .eml attachment, as mail clients list it.
    const digestMember = !isTop && h.type === '' && digestLevel[stack.length - 1] === true;
    const isMessage = h.type === 'message/rfc822' || h.type === 'message/global' || digestMember;
    if (isMessage && !isTop && !inAttachedNow && (digestMember || !h.attachment))
      scan.inlineMessages.push({ start: headerStart, end: h.end, addType: digestMember });
    if (h.type.startsWith('multipart/') && h.boundary) {
      // A multipart version of an alternative (related HTML and its images) is one a client shows.
      if (!isTop && !inAttachedNow && altLevel[stack.length - 1] === true)
        shownVersions.add(levelSerial[stack.length - 1]!);
      push(h.boundary);
      attachedLevel[stack.length - 1] = false;
      digestLevel[stack.length - 1] = h.type === 'multipart/digest';
      altLevel[stack.length - 1] = h.type === 'multipart/alternative';
      levelCharset[stack.length - 1] = h.charset;
    } else if (isMessage && !['base64', 'quoted-printable'].includes(h.cte)) {
      push(null);
      attachedLevel[stack.length - 1] = h.attachment || !isTop;
      digestLevel[stack.length - 1] = false;
      altLevel[stack.length - 1] = false;
      levelCharset[stack.length - 1] = null;
      countPart();
      captureHeaders = scan.originalHeaders === null;
      continue;
    }
    const capture =
      h.type === 'message/delivery-status' || h.type === 'message/global-delivery-status'
        ? 'ds'
        : h.type === 'text/rfc822-headers'
          ? 'rh'
          : null;
    const bodyStart = pos;
    let found: Boundary | null;
    ({ found, pos } = nextBoundary(s, pos, stack));
    const bodyEnd = found ? found.ls : s.length;
    // A named text part after the first body part is a file the sender attached ("notes.txt" sent
    // inline): mailparser would join it into the body; it is marked an attachment instead.
    const inAttached = attachedLevel.slice(0, stack.length).includes(true);
    if (!inAttached) leaves++;
    if (
      !isTop &&
      !inAttached &&
      leaves > 1 &&
      h.namedInline &&
      (h.type === 'text/plain' || h.type === 'text/html')
    ) {
      scan.namedTextParts.push({ start: headerStart, end: h.end });
    }
    // A text part that cannot be read as text (binary, or a charset nothing decodes) is kept as an attachment.
    const textType =
      h.type === 'text/plain' || h.type === 'text/html' || (h.type === '' && !digestMember);
    const sample = () => copy(bodyStart, Math.min(bodyEnd, bodyStart + UNDECODABLE_SAMPLE));
    const declaredAbove =
      textType && !inAttached && !h.charset ? inheritedCharset(levelCharset, stack.length) : null;
    const inherited =
      declaredAbove && fitsInheritedCharset(sample(), h.cte, declaredAbove) ? declaredAbove : null;
    const undecodable =
      textType &&
      !inAttached &&
      !/^\s*attachment/i.test(h.disposition) &&
      isUndecodableText(sample(), h.cte, h.charset ?? inherited, knownCharset);
    if (undecodable) scan.namedTextParts.push({ start: headerStart, end: h.end });
    const unlabelled =
      textType && !inAttached && !undecodable
        ? (inherited ??
          unlabelledCharset(sample(), h.cte, h.charset, [
            ...(declaredAbove ? [declaredAbove] : []),
            ...charsets,
          ]))
        : null;
    if (unlabelled)
      (scan.unlabelledText ??= []).push({ start: headerStart, end: h.end, charset: unlabelled });
    if (
      !undecodable &&
      !isTop &&
      !inAttached &&
      h.type === 'text/html' &&
      altLevel.slice(0, stack.length).includes(true)
    )
      altHtml = true;
    // Body pieces of a mixed message outside any alternative: a client shows them one after another.
    if (
      !undecodable &&
      !isTop &&
      !inAttached &&
      !h.namedInline &&
      !/^\s*attachment/i.test(h.disposition) &&
      (h.type === 'text/plain' || h.type === 'text/html' || h.type === '') &&
      !altLevel.slice(0, stack.length).includes(true)
    ) {
      bodyLeaves.push({
        type: h.type || 'text/plain',
        start: headerStart,
        end: h.end,
        bodyStart,
        bodyEnd,
        cte: h.cte,
        charset: h.charset,
      });
    }
    // RFC 2046 5.1.4: the versions of an alternative are the same content; a client shows the last
    // it can. mailparser joins every plain version into the text, so the plain ones are noted here.
    if (
      !undecodable &&
      !isTop &&
      !inAttached &&
      altLevel[stack.length - 1] === true &&
      !h.namedInline &&
      !/^\s*attachment/i.test(h.disposition) &&
      (h.type === 'text/plain' || h.type === '')
    ) {
      const key = levelSerial[stack.length - 1]!;
      plainVersions.set(key, [
        ...(plainVersions.get(key) ?? []),
        { start: partLine, end: bodyEnd },
      ]);
    }
    // The versions of an alternative a client can show, and other renderings of the same text it
    // never lists as files: those are left out when a shown version is there.
    if (!isTop && !inAttached && altLevel[stack.length - 1] === true) {
      const key = levelSerial[stack.length - 1]!;
      if (!undecodable && ['text/plain', 'text/html', ''].includes(h.type)) shownVersions.add(key);
      else if (RENDERINGS.has(h.type))
        renderings.set(key, [...(renderings.get(key) ?? []), { start: partLine, end: bodyEnd }]);
    }
    if (
      (h.type === 'text/enriched' || h.type === 'text/richtext') &&
      !inAttached &&
      !h.namedInline &&
      !/^\s*attachment/i.test(h.disposition)
    )
      enriched.push({
        start: headerStart,
        end: h.end,
        bodyStart,
        bodyEnd,
        cte: h.cte,
        richtext: h.type === 'text/richtext',
        alt: !isTop && altLevel[stack.length - 1] === true ? levelSerial[stack.length - 1]! : null,
      });
    if (isUtf7Label(h.charset) && (h.type.startsWith('text/') || h.type === '') && !inAttached) {
      scan.utf7Bodies.push({ start: headerStart, end: h.end, bodyStart, bodyEnd, cte: h.cte });
    }
    if (capture === 'ds')
      scan.deliveryStatus ??= decodeCapture(
        copy(bodyStart, Math.min(bodyEnd, bodyStart + MAX_CAPTURE)),
        h.cte,
      );
    if (capture === 'rh')
      scan.originalHeaders ??= decodeCapture(
        copy(bodyStart, Math.min(bodyEnd, bodyStart + MAX_CAPTURE)),
        h.cte,
      );
    // Closing delimiters fall back to the parent's body; an opening one starts the next part.
    while (found?.closing) {
      stack.length = found.index;
      ({ found, pos } = nextBoundary(s, pos, stack));
    }
    if (!found) break;
    stack.length = found.index + 1;
    countPart();
    partLine = found.ls;
    pos = found.next;
  }
  scan.declaredCharsets = [...charsets, ...encodedWordCharsets(scan.topHeaders)];
  for (const versions of plainVersions.values())
    if (versions.length > 1) (scan.droppedAlternatives ??= []).push(...versions.slice(0, -1));
  for (const [key, versions] of renderings)
    if (shownVersions.has(key)) (scan.droppedAlternatives ??= []).push(...versions);
  scan.droppedAlternatives?.sort((a, b) => a.start - b.start);
  // Those left out beside a version a client shows are not shown either.
  const shownEnriched = enriched
    .filter((e) => e.alt === null || !shownVersions.has(e.alt))
    .map(({ alt: _alt, ...e }) => e);
  if (shownEnriched.length > 0) scan.enrichedBodies = shownEnriched;
  // Plain pieces beside HTML pieces become HTML too, so the HTML body holds every piece in order
  // (mailparser joins the HTML parts and the text parts separately; the text comes from the HTML).
  if (
    (altHtml || bodyLeaves.some((l) => l.type === 'text/html')) &&
    bodyLeaves.some((l) => l.type === 'text/plain')
  ) {
    // Beside an alternative (a text and an HTML version) a plain piece, typically a footer a list or
    // gateway appended, belongs in both versions: it goes on as an alternative of its own.
    scan.plainAsHtml = bodyLeaves
      .filter((l) => l.type === 'text/plain' && !isUtf7Label(l.charset))
      .map((l) => (altHtml ? { ...l, keepText: true } : l));
  }
  return scan;
}

// Renderings of the body text beside its plain and HTML versions (RFC 1896 enriched, the older
// richtext, Apple Watch's short HTML): a client shows one version and lists none of them as files.
const RENDERINGS = new Set(['text/enriched', 'text/richtext', 'text/watch-html']);

/** The charset the nearest enclosing multipart declares, unless it only says ASCII. */
function inheritedCharset(levelCharset: (string | null)[], depth: number): string | null {
  for (let i = depth - 1; i >= 0; i--) {
    const c = levelCharset[i]?.trim().toLowerCase();
    if (c) return knownCharset(c) && !/^(us-?ascii|ascii)$/.test(c) ? c : null;
  }
  return null;
}

function encodedWordCharsets(headers: string): string[] {
  const found = new Set<string>();
  for (const m of headers.matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?[bBqQ]\?/g))
    found.add(m[1]!.toLowerCase());
  return [...found];
}
