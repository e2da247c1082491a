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
import { enrichedBody, enrichedHeader } from './enriched.js';
import { fixMislabelledWords, fixRawWords, hasMislabelledWords } from './header-charset.js';
import { limitError } from './mime-limits.js';
import { type HeaderRepair, repairHeaderBlock } from './mime-repair.js';
import { scanMime } from './mime-scan.js';
import type { AdapterOutput, MimeScan, RawAddress } from './normalise.js';
import { buildParsedMessage, bytesToText, headerFields } from './normalise.js';
import { decodeUtf7 } from './utf7.js';
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
        filename: a.filename ?? null,
        description: headerString(a.headers.get('content-description')),
        // mailparser guesses from the file name for octet-stream; we want what the sender declared.
        // An empty `Content-Type:` leaves mailparser's own undefined: such a part is opaque bytes.
        contentType:
          declaredTypeOf(a.headers.get('content-type')) ??
          (a.contentType || 'application/octet-stream'),
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
  raw = bareCrToCrlf(raw);
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
  const msg = buildParsedMessage(out, scan);
  if (
    (scan.rawHeaderBlocks.length > 0 || (scan.unlabelledText?.length ?? 0) > 0) &&
    !msg.warnings.includes('charset_fallback')
  )
    msg.warnings.push('charset_fallback');
  return msg;
}

/**
 * Raw 8-bit header bytes that are not UTF-8 (old clients writing Latin-1, GBK, Shift_JIS without
 * RFC 2047) are re-encoded to UTF-8, decoded with the part's charset, the message's declared
 * charsets or the likeliest other one — libraries would otherwise read them as UTF-8 and produce
 * U+FFFD. Encoded words whose bytes contradict their label, hold raw 8-bit bytes or are UTF-7 are
 * rewritten as UTF-8 words. UTF-7 text parts are decoded and handed on as UTF-8 (base64). Headers
 * and bodies inside an attached message are left alone: the attachment keeps the bytes it was sent with.
 */
function transcodeHeaders(raw: Buffer, scan: MimeScan, utf8Words = false): Buffer {
  // Header blocks to rewrite, by offset: 8-bit or mislabelled bytes, a UTF-7 part, a named text part.
  const blocks = new Map<
    number,
    {
      end: number;
      charset: string | null;
      bytes: boolean;
      utf7?: MimeScan['utf7Bodies'][number];
      attach: boolean;
      messageType?: boolean;
      asHtml?: NonNullable<MimeScan['plainAsHtml']>[number];
      relabel?: string;
      repair?: HeaderRepair;
      enriched?: NonNullable<MimeScan['enrichedBodies']>[number];
    }
  >();
  const entry = (start: number, end: number) =>
    blocks.get(start) ??
    blocks.set(start, { end, charset: null, bytes: false, attach: false }).get(start)!;
  for (const b of scan.rawHeaderBlocks)
    if (!b.attached) Object.assign(entry(b.start, b.end), { charset: b.charset, bytes: true });
  for (const u of scan.utf7Bodies) entry(u.start, u.end).utf7 = u;
  for (const n of scan.namedTextParts) entry(n.start, n.end).attach = true;
  for (const m of scan.inlineMessages)
    Object.assign(entry(m.start, m.end), { attach: true, messageType: m.addType });
  for (const p of scan.plainAsHtml ?? []) entry(p.start, p.end).asHtml = p;
  for (const u of scan.unlabelledText ?? []) entry(u.start, u.end).relabel = u.charset;
  for (const r of scan.headerRepairs ?? []) entry(r.start, r.end).repair = r;
  for (const e of scan.enrichedBodies ?? []) entry(e.start, e.end).enriched = e;
  const dropped = scan.droppedAlternatives ?? [];
  const insertions = scan.insertions ?? [];
  if (blocks.size === 0 && dropped.length === 0 && insertions.length === 0) return raw;
  const edits: { start: number; end: number; bytes: Buffer }[] = dropped.map((d) => ({
    ...d,
    bytes: Buffer.alloc(0),
  }));
  const used = new Set<number>();
  for (const [start, b] of blocks) {
    let text = raw.toString('latin1', start, b.end);
    // Folds inside a block being rewritten go in first (offsets from the end, so each stays right).
    for (const i of insertions.filter((x) => x.at > start && x.at < b.end).reverse()) {
      text = text.slice(0, i.at - start) + i.text + text.slice(i.at - start);
      used.add(i.at);
    }
    if (b.bytes) {
      const candidates = [...(b.charset ? [b.charset] : []), ...scan.declaredCharsets];
      text = fixMislabelledWords(
        bytesToText(fixRawWords(text), candidates).text,
        candidates,
        utf8Words && start === 0,
      );
    }
    if (b.repair) text = repairHeaderBlock(text, b.repair);
    if (b.relabel) text = withCharset(text, b.relabel);
    if (b.utf7) text = utf7Header(text);
    if (b.enriched) text = enrichedHeader(text);
    if (b.messageType) text = `Content-Type: message/rfc822\r\n${text}`;
    if (b.attach) text = asAttachment(text);
    edits.push({ start, end: b.end, bytes: Buffer.from(text, b.bytes ? 'utf8' : 'latin1') });
    if (b.asHtml?.keepText) {
      const block = edits.at(-1)!;
      block.bytes = Buffer.from(
        `Content-Type: multipart/alternative; boundary="${PIECE_BOUNDARY}${start}"${block.bytes.includes('\r\n') ? '\r\n' : '\n'}`,
        'latin1',
      );
      edits.push({
        start: b.asHtml.bodyStart,
        end: b.asHtml.bodyEnd,
        bytes: pieceAsAlternative(
          Buffer.from(text, b.bytes ? 'utf8' : 'latin1'),
          raw.subarray(b.asHtml.bodyStart, b.asHtml.bodyEnd),
          b.asHtml.cte,
          `${PIECE_BOUNDARY}${start}`,
        ),
      });
    } else if (b.asHtml) {
      edits.at(-1)!.bytes = Buffer.from(
        plainHeaderAsHtml(edits.at(-1)!.bytes.toString('latin1')),
        'latin1',
      );
      edits.push({
        start: b.asHtml.bodyStart,
        end: b.asHtml.bodyEnd,
        bytes: Buffer.from(
          plainBodyAsHtml(raw.subarray(b.asHtml.bodyStart, b.asHtml.bodyEnd), b.asHtml.cte),
          'latin1',
        ),
      });
    }
    if (b.enriched)
      edits.push({
        start: b.enriched.bodyStart,
        end: b.enriched.bodyEnd,
        bytes: Buffer.from(
          enrichedBody(
            raw.subarray(b.enriched.bodyStart, b.enriched.bodyEnd),
            b.enriched.cte,
            b.enriched.richtext,
          ),
          'latin1',
        ),
      });
    if (b.utf7)
      edits.push({
        start: b.utf7.bodyStart,
        end: b.utf7.bodyEnd,
        bytes: Buffer.from(
          utf7Body(raw.subarray(b.utf7.bodyStart, b.utf7.bodyEnd), b.utf7.cte),
          'latin1',
        ),
      });
  }
  // After the block rewrites, so an insertion at a block's end follows it (the sort is stable).
  for (const { at, text } of insertions)
    if (!used.has(at)) edits.push({ start: at, end: at, bytes: Buffer.from(text, 'latin1') });
  edits.sort((a, b) => a.start - b.start);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const e of edits) {
    // An edit inside a version left out goes with it.
    if (e.start < at) continue;
    chunks.push(raw.subarray(at, e.start), e.bytes);
    at = e.end;
  }
  chunks.push(raw.subarray(at));
  return Buffer.concat(chunks);
}

/** A text part's header block with its charset set (a Content-Type added when it has none). */
function withCharset(block: string, charset: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const ct = /^content-type[ \t]*:.*(?:\r?\n[ \t].*)*/im.exec(block);
  if (!ct)
    return `${block.replace(/(?:\r?\n)*$/, '')}${eol}Content-Type: text/plain; charset="${charset}"${eol}`;
  const field = /;\s*charset\s*=/i.test(ct[0])
    ? ct[0].replace(/(;\s*charset\s*=\s*)("[^"]*"|[^;\s]*)/i, `$1"${charset}"`)
    : `${ct[0]}; charset="${charset}"`;
  return block.slice(0, ct.index) + field + block.slice(ct.index + ct[0].length);
}

/** A text/plain piece's header block relabelled text/html (charset kept) in base64. */
function plainHeaderAsHtml(block: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(block)?.[1];
  const kept = block.replace(
    /^content-(?:transfer-encoding|type)[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n)?/gim,
    '',
  );
  return `${kept.replace(/(?:\r?\n)*$/, '')}${kept.trim() === '' ? '' : eol}Content-Type: text/html${charset ? `; charset="${charset}"` : ''}${eol}Content-Transfer-Encoding: base64${eol}`;
}

// Boundary of the alternative a plain piece is wrapped in (its header offset makes it unique in the message).
const PIECE_BOUNDARY = '=_inlet-piece-';

/**
 * A plain piece as a multipart/alternative body: the piece itself (its header block, bytes as sent)
 * and its HTML rendering, so mailparser adds it to the text and to the HTML body, each in place.
 */
function pieceAsAlternative(block: Buffer, body: Buffer, cte: string, boundary: string): Buffer {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const ends = body.length === 0 || body[body.length - 1] === 0x0a;
  return Buffer.concat([
    Buffer.from(`--${boundary}${eol}`, 'latin1'),
    block,
    Buffer.from(eol, 'latin1'),
    body,
    Buffer.from(
      `${ends ? '' : eol}--${boundary}${eol}${plainHeaderAsHtml(block.toString('latin1')).replace(/^(?:.*\r?\n)*?(?=Content-Type: text\/html)/, '')}${eol}${plainBodyAsHtml(body, cte)}--${boundary}--${eol}`,
      'latin1',
    ),
  ]);
}

/** The piece's text as HTML: its bytes (any charset) with markup characters escaped, lines kept. */
function plainBodyAsHtml(body: Buffer, cte: string): string {
  const latin1 = body.toString('latin1');
  const bytes =
    cte === 'base64'
      ? Buffer.from(latin1, 'base64').toString('latin1')
      : cte === 'quoted-printable'
        ? latin1
            .replace(/=\r?\n/g, '')
            .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
        : latin1;
  const escaped = bytes
    .replace(/\r?\n$/, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r?\n/g, '<br>\r\n');
  return Buffer.from(`<div>${escaped}</div>`, 'latin1')
    .toString('base64')
    .replace(/.{1,76}/g, '$&\r\n');
}

/** A header block with its disposition set to attachment (the filename parameters kept). */
function asAttachment(block: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  if (/^content-disposition[ \t]*:/im.test(block))
    return block.replace(
      /^(content-disposition[ \t]*:[ \t]*)(?:inline\b)?[ \t]*;?/im,
      '$1attachment;',
    );
  const name = /;\s*name\s*=\s*("[^"]*"|[^;\s]*)/i.exec(block)?.[1];
  return `${block.replace(/(?:\r?\n)*$/, '')}${eol}Content-Disposition: attachment${name ? `; filename=${name}` : ''}${eol}`;
}

/** A UTF-7 part's header block, relabelled UTF-8 in base64 (its body is rewritten to match). */
function utf7Header(block: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const kept = block
    .replace(/^content-transfer-encoding[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n)?/gim, '')
    .replace(/(charset\s*=\s*"?)(?:unicode-1-1-)?utf-?7("?)/i, '$1utf-8$2');
  return `${kept.replace(/(?:\r?\n)*$/, '')}${eol}Content-Transfer-Encoding: base64${eol}`;
}

function utf7Body(body: Buffer, cte: string): string {
  const latin1 = body.toString('latin1');
  const bytes =
    cte === 'base64'
      ? Buffer.from(latin1, 'base64')
      : cte === 'quoted-printable'
        ? Buffer.from(
            latin1
              .replace(/=\r?\n/g, '')
              .replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) =>
                String.fromCharCode(parseInt(h, 16)),
              ),
            'latin1',
          )
        : body;
  const b64 = Buffer.from(decodeUtf7(bytes.toString('latin1')), 'utf8').toString('base64');
  return `${b64.replace(/.{1,76}/g, '$&\r\n')}`;
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
  const head = bareCrToCrlf(raw.subarray(0, limits.maxHeaderBytes)).toString('latin1');
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
