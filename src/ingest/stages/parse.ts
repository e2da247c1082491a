// Raw RFC 5322 bytes → ParsedMessage. A cheap structural pre-scan (mime-scan.ts) enforces the limits
// before any library sees the bytes (MIME bombs: mailparser has no part limit of its own), then mailparser
// decodes and normalise.ts builds the result. mailparser was chosen over postal-mime by measurement
// on ../shared/corpus — see bench/parse-bench.ts.
import { Readable } from 'node:stream';

import type { AddressObject, ParsedMail } from 'mailparser';
import { parseAddressHeader, simpleParser } from 'mailparser';
import { decodeWords } from 'postal-mime';

import type { IngestLimits, ParsedMessage } from '../types.js';
import { defaultIngestLimits } from '../types.js';
import { partFilename } from './attachments-name.js';
import { hasMislabelledWords } from './header-charset-words.js';
import { limitError } from './mime-limits.js';
import { scanMime } from './mime-scan.js';
import { withoutSpecialParts } from './mime-special-parts.js';
import { buildParsedMessage } from './normalise.js';
import type { AdapterOutput, MimeScan, RawAddress } from './normalise-types.js';
import { headerFields } from './normalise-values.js';
import { transcodeHeaders } from './parse-transcode.js';
import { withSignedContent } from './smime.js';
import { isUuencode, uudecode } from './uudecode.js';

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

const hasAddress = (list: RawAddress[]): boolean =>
  list.some((a) => a.address || a.group?.some((m) => m.address));

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
const paramsOf = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' && 'params' in v && v.params && typeof v.params === 'object'
    ? Object.fromEntries(
        Object.entries(v.params).filter((e): e is [string, string] => typeof e[1] === 'string'),
      )
    : {};
const declaredTypeOf = (v: unknown): string | null =>
  v && typeof v === 'object' && 'value' in v && typeof v.value === 'string' && v.value.includes('/')
    ? v.value.toLowerCase()
    : null;

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
        filename: partFilename(
          a.filename ?? null,
          paramsOf(a.headers.get('content-type')).name ?? null,
        ),
        description: headerString(a.headers.get('content-description')),
        // mailparser guesses from the file name for octet-stream; we want what the sender declared.
        // An empty `Content-Type:` leaves mailparser's own undefined: such a part is opaque bytes.
        contentType:
          declaredTypeOf(a.headers.get('content-type')) ??
          (a.contentType || 'application/octet-stream'),
        typeParams: paramsOf(a.headers.get('content-type')),
        contentId: a.contentId ?? null,
        inline:
          a.related === true || (a.contentDisposition === 'inline' && a.contentId !== undefined),
        content: isUuencode(headerString(a.headers.get('content-transfer-encoding')))
          ? (uudecode(a.content) ?? a.content)
          : a.content,
      })),
    };
  },
};

/**
 * Mail saved with classic Mac OS line ends (a bare CR after every line, no LF anywhere in its
 * header) reads as one endless header line to every parser, so its sender, subject and body are
 * lost. Only such mail is rewritten, with CRLF ends; the stored original keeps its bytes.
 */
export function bareCrToCrlf(raw: Buffer): Buffer {
  const head = raw.subarray(0, 8192);
  if (head.includes(0x0a) || !head.includes(0x0d)) return raw;
  return Buffer.from(raw.toString('latin1').replace(/\r(?!\n)/g, '\r\n'), 'latin1');
}

/**
 * Blank lines or indentation above the header (mail pasted into a file, or saved by a tool that
 * writes a line end first) make every parser read an empty header and the whole message as body:
 * no sender, no subject, the header fields shown as text. When a header field follows them, they
 * are dropped (the first field has nothing to continue, so its indentation means nothing either).
 */
export function withoutLeadingBlankLines(raw: Buffer): Buffer {
  let i = 0;
  while (
    i < raw.length &&
    (raw[i] === 0x0a || raw[i] === 0x0d || raw[i] === 0x20 || raw[i] === 0x09)
  )
    i++;
  if (i === 0) return raw;
  const head = raw.toString('latin1', i, Math.min(raw.length, i + 1000));
  return /^[!-9;-~]+[ \t]*:/.test(head) ? raw.subarray(i) : raw;
}

/**
 * mailparser's splitter counts every header line as at least 64 bytes against its 1 MiB, so a
 * block of more than 16,384 short lines passes the scan's byte limit and fails there with EMAXLEN:
 * that is the header limit too (parked and stubbed like it), not a crash retried until parked.
 */
function headerLimit(err: unknown): never {
  if ((err as { code?: unknown } | null)?.code === 'EMAXLEN')
    throw limitError('headers', 'more header lines than the parser reads');
  throw err;
}

/** Parse with a given adapter; parseMessage uses mailparser. Exported for the bench and corpus runner. */
export async function parseWith(
  adapter: ParserAdapter,
  raw: Buffer,
  limits: IngestLimits = defaultIngestLimits,
): Promise<ParsedMessage> {
  if (raw.length > limits.maxMessageBytes)
    throw limitError('size', `${raw.length} > ${limits.maxMessageBytes} bytes`);
  raw = withoutLeadingBlankLines(bareCrToCrlf(raw));
  const scan = scanMime(raw, limits);
  let out = await adapter.parse(transcodeHeaders(raw, scan), scan).catch(headerLimit);
  // Latin-1 bytes in words labelled UTF-8 come out as U+FFFD. Only then are the top-level words
  // checked and, when that is the cause, the message parsed again: the rare message pays, not all.
  if (replacedInHeaders(out) && hasMislabelledWords(scan.topHeaders, true)) {
    if (scan.rawHeaderBlocks[0]?.start !== 0)
      scan.rawHeaderBlocks.unshift({
        start: 0,
        end: scan.topHeaders.length,
        charset: null,
        attached: false,
      });
    out = await adapter.parse(transcodeHeaders(raw, scan, true), scan).catch(headerLimit);
  }
  out = await withEnclosedBody(adapter, out, scan, limits);
  out = await withSignedContent(out, (entity) => parseEntity(adapter, entity, limits));
  const special = withoutSpecialParts(out);
  const msg = buildParsedMessage(special.out, scan);
  msg.warnings.push(...special.warnings.filter((w) => !msg.warnings.includes(w)));
  if (
    (scan.rawHeaderBlocks.some((b) => !b.foldsOnly) || (scan.unlabelledText?.length ?? 0) > 0) &&
    !msg.warnings.includes('charset_fallback')
  )
    msg.warnings.push('charset_fallback');
  return msg;
}

/**
 * A message whose whole body is one message/rfc822 (a forward sent as the message itself) has no
 * text of its own: mail clients show the enclosed message instead, and so does Inlet. Its text and
 * HTML become the body; the enclosed message stays an .eml attachment, as sent. One level only.
 */
async function withEnclosedBody(
  adapter: ParserAdapter,
  out: AdapterOutput,
  scan: MimeScan,
  limits: IngestLimits,
): Promise<AdapterOutput> {
  if (out.text !== null || out.html !== null || out.attachments.length !== 1) return out;
  const type = headerFields(scan.topHeaders).fields.find((f) => f.key === 'content-type')?.value;
  const enclosed = out.attachments[0]!;
  if (!/^\s*message\/(rfc822|global)\s*(;|$)/i.test(type ?? '')) return out;
  try {
    const inner = await parseEntity(adapter, enclosed.content, limits);
    return { ...out, text: inner.text, html: inner.html };
  } catch {
    // An enclosed message past a limit or that the parser refuses is still kept, as an attachment.
    return out;
  }
}

/** A MIME entity found inside the message (an enclosed message, signed content), read on its own. */
function parseEntity(adapter: ParserAdapter, bytes: Buffer, limits: IngestLimits) {
  const scan = scanMime(bytes, limits);
  return adapter.parse(transcodeHeaders(bytes, scan), scan);
}

const replacedInHeaders = (out: AdapterOutput): boolean =>
  (out.subject ?? '').includes('\uFFFD') ||
  [out.from, out.sender, out.replyTo, out.to, out.cc].some((l) =>
    l.some((a) => a.name?.includes('\uFFFD')),
  );

export function parseMessage(
  raw: Buffer,
  limits: IngestLimits = defaultIngestLimits,
): Promise<ParsedMessage> {
  return parseWith(mailparserAdapter, raw, limits);
}

/**
 * Best-effort stub for a message that was refused by a limit: top-level headers only (bounded by
 * maxHeaderBytes), so the pipeline can still record sender, subject and ids beside the raw source.
 */
export function parseEnvelopeOnly(
  raw: Buffer,
  reason: string,
  limits: IngestLimits = defaultIngestLimits,
): ParsedMessage {
  // Bare CR line ends as the full parse reads them, or the whole block is one "From" value.
  const head = withoutLeadingBlankLines(
    bareCrToCrlf(raw.subarray(0, limits.maxHeaderBytes)),
  ).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const topHeaders = end < 0 ? head : head.slice(0, end);
  const scan: MimeScan = {
    topHeaders,
    parts: 0,
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
  const { fields } = headerFields(topHeaders);
  // NULs dropped and a stray CR or LF inside a value made a space, as the full parse's address
  // reader does: a stub's requester is never "\0" nor holds a line break.
  const first = (k: string) =>
    (fields.find((f) => f.key === k)?.value ?? '').replace(/\0/g, '').replace(/[\r\n]+/g, ' ');
  const addr = (k: string): RawAddress[] => {
    const v = first(k);
    const m = /^(.*?)<([^<>]+)>\s*$/.exec(v);
    return v === ''
      ? []
      : [
          m
            ? { name: decodeWords(m[1]!.replace(/"/g, '')), address: m[2]! }
            : { name: '', address: v.split(',')[0]! },
        ];
  };
  const msg = buildParsedMessage(
    {
      from: addr('from'),
      sender: addr('sender'),
      replyTo: addr('reply-to'),
      to: [],
      cc: [],
      subject: first('subject'),
      text: null,
      html: null,
      attachments: [],
    },
    scan,
  );
  msg.subject = msg.headers.get('subject')?.[0] ?? '';
  msg.warnings.push(`limit_exceeded:${reason}`);
  return msg;
}
