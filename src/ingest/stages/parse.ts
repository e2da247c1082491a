// Raw RFC 5322 bytes → ParsedMessage. A cheap structural pre-scan enforces the limits before any
// library sees the bytes (MIME bombs: mailparser has no part limit of its own), then mailparser
// decodes and normalise.ts builds the result. mailparser was chosen over postal-mime by measurement
// on ../shared/corpus — see bench/parse-bench.ts and the notes at the end of this file.
import { parseAddressHeader, simpleParser } from 'mailparser';
import type { AddressObject, ParsedMail } from 'mailparser';
import { AppError } from '../../errors.js';
import { defaultIngestLimits } from '../types.js';
import type { IngestLimits, ParsedMessage } from '../types.js';
import { decodeWords } from 'postal-mime';
import { buildParsedMessage, bytesToText, headerFields } from './normalise.js';
import type { AdapterOutput, MimeScan, RawAddress } from './normalise.js';
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { fixMislabelledWords, hasMislabelledWords } from './header-charset.js';
import { isUuencode, uudecode } from './uudecode.js';

const MAX_CAPTURE = 64 * 1024;

export type LimitName = 'size' | 'parts' | 'depth' | 'headers';

function limitError(limit: LimitName, detail: string): AppError {
  return limit === 'size'
    ? new AppError('message_too_large', `The message is larger than the limit (${detail}).`, { limit }, 422)
    : new AppError('message_limit_exceeded', `The message exceeds the ${limit} limit (${detail}).`, { limit }, 422);
}

interface HeaderBlock {
  type: string;
  boundary: string | null;
  charset: string | null;
  cte: string;
  /** Only read for message/* parts: an attached (not inline) message is kept byte for byte. */
  attachment: boolean;
  end: number;
  bodyStart: number;
}

const param = (value: string, name: string): string | null => {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value);
  const v = m?.[1] ?? m?.[2] ?? null;
  return v === null || v === '' ? null : v;
};

function matchBoundary(line: string, stack: (string | null)[]): { index: number; closing: boolean } | null {
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
    slice: (start, end = buf.length) => (start >= end ? '' : buf.toString('latin1', start, Math.min(end, buf.length))),
  };
}

function boundaryLine(s: TextView, ls: number, stack: (string | null)[]) {
  let le = s.indexOf('\n', ls);
  const next = le < 0 ? s.length : le + 1;
  if (le < 0) le = s.length;
  if (s.charCodeAt(ls) !== 45 || s.charCodeAt(ls + 1) !== 45) return { match: null, next };
  return { match: matchBoundary(s.slice(ls + 2, Math.min(le, ls + 2 + 1000)).replace(/[ \t\r]+$/, ''), stack), next };
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
function nextBoundary(s: TextView, pos: number, stack: (string | null)[]): { found: Boundary | null; pos: number } {
  while (pos < s.length && stack.some((b) => b !== null)) {
    const ls = s.charCodeAt(pos) === 45 && s.charCodeAt(pos + 1) === 45 ? pos : s.indexOf('\n--', pos) + 1;
    if (ls <= 0) break;
    const { match, next } = boundaryLine(s, ls, stack);
    pos = next;
    if (match) return { found: { ...match, ls, next }, pos };
  }
  return { found: null, pos };
}

function readHeaderBlock(s: TextView, pos: number, stack: (string | null)[], maxBytes: number): HeaderBlock {
  let ls = pos;
  const raw: string[] = [];
  while (ls < s.length) {
    const { match, next } = boundaryLine(s, ls, stack);
    if (match) return finishBlock(raw, ls, ls);
    const line = s.slice(ls, next).replace(/\r?\n$/, '');
    if (line === '' || line === '\r') return finishBlock(raw, ls, next);
    if (next - pos > maxBytes) throw limitError('headers', `more than ${maxBytes} bytes of header`);
    if ((line.startsWith(' ') || line.startsWith('\t')) && raw.length > 0) raw[raw.length - 1] += line;
    else raw.push(line);
    ls = next;
  }
  return finishBlock(raw, s.length, s.length);
}

/** The value of the first `name:` line (name lower-case), or ''. */
function headerValue(lines: string[], name: string): string {
  const n = name.length;
  for (const l of lines) {
    // ':' first: a cheap test that rejects almost every other line before any copy is made.
    if (l.charCodeAt(n) === 58 && l.slice(0, n).toLowerCase() === name) return l.slice(n + 1).trim();
  }
  return '';
}

function finishBlock(lines: string[], end: number, bodyStart: number): HeaderBlock {
  const ct = headerValue(lines, 'content-type');
  const type = (ct.split(';')[0] ?? '').trim().toLowerCase();
  return {
    type,
    boundary: param(ct, 'boundary'),
    charset: param(ct, 'charset'),
    cte: headerValue(lines, 'content-transfer-encoding').toLowerCase(),
    // mailsplit reads only an inline message as MIME; any other is an attachment, kept as sent.
    attachment: type.startsWith('message/') && !/^\s*inline\b/i.test(headerValue(lines, 'content-disposition')),
    end,
    bodyStart,
  };
}

function decodeCapture(body: string, cte: string): string {
  if (cte === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (cte === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return bytesToText(bytes).text;
  }
  return bytesToText(body).text;
}

/** Walk the MIME structure without decoding: count parts and depth, capture DSN parts. */
export function scanMime(raw: Buffer, limits: IngestLimits = defaultIngestLimits): MimeScan {
  const s: TextView = raw.length <= STRING_SCAN_MAX ? raw.toString('latin1') : latin1View(raw);
  // What the scan keeps is copied out of the bytes: a slice of the whole-message string would keep
  // all of it alive for as long as the parsed message lives.
  const copy = (start: number, end: number) => (start >= end ? '' : raw.toString('latin1', start, Math.min(end, raw.length)));
  const stack: (string | null)[] = [];
  // Per stack level: is it the body of an attached message? Read up to stack.length only.
  const attachedLevel: boolean[] = [];
  const charsets = new Set<string>();
  const scan: MimeScan = { topHeaders: '', parts: 1, depth: 0, declaredCharsets: [], isMultipartReport: false, deliveryStatus: null, originalHeaders: null, rawHeaderBlocks: [] };
  let pos = 0;
  let top = true;
  let captureHeaders = false;
  const push = (entry: string | null) => {
    stack.push(entry);
    scan.depth = Math.max(scan.depth, stack.length);
    if (stack.length > limits.maxDepth) throw limitError('depth', `nested deeper than ${limits.maxDepth}`);
  };
  const countPart = () => {
    if (++scan.parts > limits.maxParts) throw limitError('parts', `more than ${limits.maxParts} parts`);
  };
  for (;;) {
    const h = readHeaderBlock(s, pos, stack, limits.maxHeaderBytes);
    const block = s.slice(pos, h.end);
    // eslint-disable-next-line no-control-regex
    if ((/[\x80-\xff]/.test(block) && !isUtf8(Buffer.from(block, 'latin1'))) || /\x1b(\$[@B]|\(B)/.test(block) || hasMislabelledWords(block)) {
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
    if (h.charset && (h.type.startsWith('text/') || h.type === '')) charsets.add(h.charset.toLowerCase());
    pos = h.bodyStart;
    if (h.type.startsWith('multipart/') && h.boundary) {
      push(h.boundary);
      attachedLevel[stack.length - 1] = false;
    }
    else if ((h.type === 'message/rfc822' || h.type === 'message/global') && !['base64', 'quoted-printable'].includes(h.cte)) {
      push(null);
      attachedLevel[stack.length - 1] = h.attachment;
      countPart();
      captureHeaders = scan.originalHeaders === null;
      continue;
    }
    const capture = h.type === 'message/delivery-status' || h.type === 'message/global-delivery-status' ? 'ds' : h.type === 'text/rfc822-headers' ? 'rh' : null;
    const bodyStart = pos;
    let found: Boundary | null;
    ({ found, pos } = nextBoundary(s, pos, stack));
    const bodyEnd = found ? found.ls : s.length;
    if (capture === 'ds') scan.deliveryStatus ??= decodeCapture(copy(bodyStart, Math.min(bodyEnd, bodyStart + MAX_CAPTURE)), h.cte);
    if (capture === 'rh') scan.originalHeaders ??= decodeCapture(copy(bodyStart, Math.min(bodyEnd, bodyStart + MAX_CAPTURE)), h.cte);
    // Closing delimiters fall back to the parent's body; an opening one starts the next part.
    while (found?.closing) {
      stack.length = found.index;
      ({ found, pos } = nextBoundary(s, pos, stack));
    }
    if (!found) break;
    stack.length = found.index + 1;
    countPart();
    pos = found.next;
  }
  scan.declaredCharsets = [...charsets, ...encodedWordCharsets(scan.topHeaders)];
  return scan;
}

function encodedWordCharsets(headers: string): string[] {
  const found = new Set<string>();
  for (const m of headers.matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?[bBqQ]\?/g)) found.add(m[1]!.toLowerCase());
  return [...found];
}

/** A MIME library behind the shared ParsedMessage output. */
export interface ParserAdapter {
  name: string;
  parse(raw: Buffer, scan: MimeScan): Promise<AdapterOutput>;
}

const addressesOf = (v: AddressObject | AddressObject[] | undefined): RawAddress[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((o) => o.value);

function headerAddresses(mail: ParsedMail, key: string): RawAddress[] {
  const v = mail.headers.get(key) as AddressObject | AddressObject[] | undefined;
  return v && typeof v === 'object' ? addressesOf(v) : [];
}

const hasAddress = (list: RawAddress[]): boolean => list.some((a) => a.address || a.group?.some((m) => m.address));

/**
 * mailparser keeps the first From. When that one names no address ("From: [??????]") and the
 * header is repeated, the first repeat with an address is the sender (normalise.ts flags the
 * duplicate); otherwise the message would fall back to Reply-To.
 */
function fromAddresses(mail: ParsedMail): RawAddress[] {
  const first = addressesOf(mail.from);
  if (hasAddress(first)) return first;
  for (const h of mail.headerLines.filter((l) => l.key === 'from').slice(1)) {
    const list = parseAddressHeader(h.line.slice(h.line.indexOf(':') + 1)).value;
    if (hasAddress(list)) return list;
  }
  return first;
}

const headerString = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const declaredTypeOf = (v: unknown): string | null =>
  v && typeof v === 'object' && 'value' in v && typeof v.value === 'string' && v.value.includes('/') ? v.value.toLowerCase() : null;

function* chunksOf(buf: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}

export const mailparserAdapter: ParserAdapter = {
  name: 'mailparser',
  async parse(raw) {
    // A large message goes in as a stream of 64 KiB chunks: handed one big Buffer, mailparser's
    // splitter holds far more at once (measured on a 25 MB message: 120 MB growth as one Buffer,
    // 64 MB as chunks). Small messages stay one Buffer — the common case, no stream overhead.
    const input = raw.length > 1024 * 1024 ? Readable.from(chunksOf(raw, 64 * 1024)) : raw;
    const mail = await simpleParser(input, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      keepDeliveryStatus: true,
    });
    return {
      from: fromAddresses(mail),
      sender: headerAddresses(mail, 'sender'),
      replyTo: addressesOf(mail.replyTo),
      to: addressesOf(mail.to),
      cc: addressesOf(mail.cc),
      subject: mail.subject ?? null,
      text: typeof mail.text === 'string' ? mail.text : null,
      html: typeof mail.html === 'string' ? mail.html : null,
      attachments: mail.attachments.map((a) => ({
        filename: a.filename ?? null,
        description: headerString(a.headers.get('content-description')),
        // mailparser guesses from the file name for octet-stream; we want what the sender declared.
        contentType: declaredTypeOf(a.headers.get('content-type')) ?? a.contentType,
        contentId: a.contentId ?? null,
        inline: a.related === true || (a.contentDisposition === 'inline' && a.contentId !== undefined),
        content: isUuencode(headerString(a.headers.get('content-transfer-encoding'))) ? (uudecode(a.content) ?? a.content) : a.content,
      })),
    };
  },
};

/** Parse with a given adapter; parseMessage uses mailparser. Exported for the bench and corpus runner. */
export async function parseWith(adapter: ParserAdapter, raw: Buffer, limits: IngestLimits = defaultIngestLimits): Promise<ParsedMessage> {
  if (raw.length > limits.maxMessageBytes) throw limitError('size', `${raw.length} > ${limits.maxMessageBytes} bytes`);
  const scan = scanMime(raw, limits);
  let out = await adapter.parse(transcodeHeaders(raw, scan), scan);
  // Latin-1 bytes in words labelled UTF-8 come out as U+FFFD. Only then are the top-level words
  // checked and, when that is the cause, the message parsed again: the rare message pays, not all.
  if (replacedInHeaders(out) && hasMislabelledWords(scan.topHeaders, true)) {
    if (scan.rawHeaderBlocks[0]?.start !== 0) scan.rawHeaderBlocks.unshift({ start: 0, end: scan.topHeaders.length, charset: null, attached: false });
    out = await adapter.parse(transcodeHeaders(raw, scan, true), scan);
  }
  const msg = buildParsedMessage(out, scan);
  if (scan.rawHeaderBlocks.length > 0 && !msg.warnings.includes('charset_fallback')) msg.warnings.push('charset_fallback');
  return msg;
}

/**
 * Raw 8-bit header bytes that are not UTF-8 (old clients writing Latin-1, GBK, Shift_JIS without
 * RFC 2047) are re-encoded to UTF-8, decoded with the part's charset, the message's declared
 * charsets or the likeliest other one — libraries would otherwise read them as UTF-8 and produce
 * U+FFFD. Encoded words whose bytes contradict their label are rewritten as UTF-8 words. Headers
 * inside an attached message are left alone: the attachment keeps the bytes it was sent with.
 */
function transcodeHeaders(raw: Buffer, scan: MimeScan, utf8Words = false): Buffer {
  if (scan.rawHeaderBlocks.every((b) => b.attached)) return raw;
  const chunks: Buffer[] = [];
  let at = 0;
  for (const b of scan.rawHeaderBlocks) {
    if (b.attached) continue;
    const candidates = [...(b.charset ? [b.charset] : []), ...scan.declaredCharsets];
    const text = fixMislabelledWords(bytesToText(raw.subarray(b.start, b.end).toString('latin1'), candidates).text, candidates, utf8Words && b.start === 0);
    chunks.push(raw.subarray(at, b.start), Buffer.from(text, 'utf8'));
    at = b.end;
  }
  chunks.push(raw.subarray(at));
  return Buffer.concat(chunks);
}

const replacedInHeaders = (out: AdapterOutput): boolean =>
  (out.subject ?? '').includes('\uFFFD') || [out.from, out.sender, out.replyTo, out.to, out.cc].some((l) => l.some((a) => a.name?.includes('\uFFFD')));

export function parseMessage(raw: Buffer, limits: IngestLimits = defaultIngestLimits): Promise<ParsedMessage> {
  return parseWith(mailparserAdapter, raw, limits);
}

/**
 * Best-effort stub for a message that was refused by a limit: top-level headers only (bounded by
 * maxHeaderBytes), so the pipeline can still record sender, subject and ids beside the raw source.
 */
export function parseEnvelopeOnly(raw: Buffer, reason: string, limits: IngestLimits = defaultIngestLimits): ParsedMessage {
  const head = raw.subarray(0, limits.maxHeaderBytes).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const topHeaders = end < 0 ? head : head.slice(0, end);
  const scan: MimeScan = { topHeaders, parts: 0, depth: 0, declaredCharsets: [], isMultipartReport: false, deliveryStatus: null, originalHeaders: null, rawHeaderBlocks: [] };
  const { fields } = headerFields(topHeaders);
  const first = (k: string) => fields.find((f) => f.key === k)?.value ?? '';
  const addr = (k: string): RawAddress[] => {
    const v = first(k);
    const m = /^(.*?)<([^<>]+)>\s*$/.exec(v);
    return v === '' ? [] : [m ? { name: decodeWords(m[1]!.replace(/"/g, '')), address: m[2]! } : { name: '', address: v.split(',')[0]! }];
  };
  const msg = buildParsedMessage(
    { from: addr('from'), sender: addr('sender'), replyTo: addr('reply-to'), to: [], cc: [], subject: first('subject'), text: null, html: null, attachments: [] },
    scan,
  );
  msg.subject = msg.headers.get('subject')?.[0] ?? '';
  msg.warnings.push(`limit_exceeded:${reason}`);
  return msg;
}

