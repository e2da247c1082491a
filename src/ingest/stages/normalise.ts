// Turns what a MIME library produced into a ParsedMessage. Everything that does not depend on the
// library (header map, Message-IDs, dates, Delivered-To, charset warnings) is derived here from the
// raw top-level header block, so swapping the parser changes only bodies, addresses and attachments.
import { decodeWords } from 'postal-mime';

import type { Address, ParsedMessage } from '../types.js';
import { describeAttachment } from './attachments-meta.js';
import { decodeUnknownBytes, fixMislabelledWords } from './header-charset.js';
import type { HeaderRepair } from './mime-repair.js';
import { splitUuencodedFiles } from './uudecode.js';

/** One mailbox or group as a parsing library returns it. */
export interface RawAddress {
  name?: string | undefined;
  address?: string | undefined;
  group?: RawAddress[] | undefined;
}

export interface AdapterAttachment {
  filename: string | null;
  /** Content-Description, used for a display name when the part names no file. */
  description: string | null;
  contentType: string;
  contentId: string | null;
  inline: boolean;
  content: Buffer;
}

/** What a parser adapter hands over; see parse.ts (mailparser) and bench/postal-adapter.ts. */
export interface AdapterOutput {
  from: RawAddress[];
  sender: RawAddress[];
  replyTo: RawAddress[];
  to: RawAddress[];
  cc: RawAddress[];
  subject: string | null;
  text: string | null;
  html: string | null;
  attachments: AdapterAttachment[];
}

/** Structure facts found by the pre-scan in parse.ts (library independent). */
export interface MimeScan {
  /** Top-level header block, one char per byte (latin1), folding intact. */
  topHeaders: string;
  parts: number;
  depth: number;
  declaredCharsets: string[];
  isMultipartReport: boolean;
  deliveryStatus: string | null;
  originalHeaders: string | null;
  /** Header blocks holding 8-bit bytes that are not UTF-8: [start, end) offsets and the part's charset. */
  rawHeaderBlocks: { start: number; end: number; charset: string | null; attached: boolean }[];
  /** Text parts in UTF-7 (not inside an attached message): header block [start, end), body [bodyStart, bodyEnd). */
  utf7Bodies: { start: number; end: number; bodyStart: number; bodyEnd: number; cte: string }[];
  /** Header blocks of text parts to show as attachments: named and not the first body part, or not readable as text (undecodable.ts). */
  namedTextParts: { start: number; end: number }[];
  /** Header blocks of messages inside the message sent inline (forwards, digest members; addType: no Content-Type of its own). */
  inlineMessages: { start: number; end: number; addType: boolean }[];
  /** text/enriched and text/richtext parts shown inline (enriched.ts): header block [start, end),
   * body [bodyStart, bodyEnd), handed on as text/plain. */
  enrichedBodies?: {
    start: number;
    end: number;
    bodyStart: number;
    bodyEnd: number;
    cte: string;
    richtext: boolean;
  }[];
  /** Earlier plain versions of a multipart/alternative that has several, and other renderings
   * (enriched, Apple Watch HTML) beside a plain or HTML version: [start, end) from the part's
   * boundary line to the next one, left out so only the version a client shows is there. */
  droppedAlternatives?: { start: number; end: number }[];
  /** Header blocks rewritten so the body is not lost (mime-repair.ts). */
  headerRepairs?: HeaderRepair[];
  /** Text inserted at an offset: the blank line a header block lacks, the fold of a line that
   * continues a field without one. */
  insertions?: { at: number; text: string }[];
  /** Text/plain body pieces of a mixed message that also has HTML pieces: handed on as HTML, in place
   * (keepText: the message has a text version too, so the piece goes on as both, an alternative of its own). */
  /** Text parts (not inside an attached message) that declare no charset, or US-ASCII, over 8-bit bytes that are not UTF-8: header block [start, end) and the charset to read them in. */
  unlabelledText?: { start: number; end: number; charset: string }[];
  plainAsHtml?: {
    start: number;
    end: number;
    bodyStart: number;
    bodyEnd: number;
    cte: string;
    charset: string | null;
    keepText?: boolean;
  }[];
}

// Headers later stages read: threading, auto-reply/bounce/list markers, our own X-Inlet-*, DMARC.
const KEPT_HEADERS = new Set([
  'message-id',
  'in-reply-to',
  'references',
  'subject',
  'date',
  'content-type',
  'return-path',
  'delivered-to',
  'x-original-to',
  'auto-submitted',
  'precedence',
  'x-precedence',
  'x-auto-response-suppress',
  'x-failed-recipients',
  'x-loop',
  'feedback-type',
  'x-hmxmroriginalrecipient',
  'x-mailer',
  'authentication-results',
  'thread-index',
  'thread-topic',
  'x-ms-exchange-generated-message-source',
  'x-ms-exchange-inbox-rules-loop',
  'x-ms-exchange-message-is-ndr',
  'x-ms-exchange-organization-autoresponsesuppress',
  'x-original-message-id',
  'x-mailer-daemon',
  'x-spam-flag',
]);
const KEPT_PREFIXES = [
  'x-inlet-',
  'list-',
  'x-auto',
  'x-mail-autoreply',
  'x-vacation',
  'x-report-',
];
const MAX_VALUES_PER_HEADER = 50;
const MAX_REFERENCES = 200;

/** Bytes held as a latin1 string → text: UTF-8 when valid, else the most plausible of the declared
 * and likely charsets (header-charset.ts); `guessed` tells the caller to flag charset_fallback. */
export function bytesToText(
  latin1: string,
  candidates: string[] = [],
): { text: string; guessed: boolean } {
  // Raw ISO-2022-JP (7-bit escape sequences, no RFC 2047) is common in Japanese mail headers.
  // eslint-disable-next-line no-control-regex
  if (/\x1b(\$[@B]|\(B)/.test(latin1)) {
    try {
      return {
        text: new TextDecoder('iso-2022-jp', { fatal: true }).decode(Buffer.from(latin1, 'latin1')),
        guessed: false,
      };
    } catch {
      // not valid ISO-2022-JP after all
    }
  }
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(latin1)) return { text: latin1, guessed: false };
  // Only now the bytes: most header lines are plain ASCII and returned above.
  const { text, guessed } = decodeUnknownBytes(Buffer.from(latin1, 'latin1'), candidates);
  return { text, guessed };
}

/** Unfolded top-level header fields in order, values decoded (8-bit and RFC 2047). */
export function headerFields(
  topHeaders: string,
  charsets: string[] = [],
): { fields: { key: string; value: string }[]; guessed: boolean } {
  const fields: { key: string; value: string }[] = [];
  let guessed = false;
  for (const line of topHeaders.split(/\r?\n(?![ \t])/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(key)) continue;
    const decoded = bytesToText(
      line
        .slice(colon + 1)
        .replace(/\r?\n[ \t]/g, ' ')
        .trim(),
      charsets,
    );
    guessed ||= decoded.guessed;
    fields.push({ key, value: decoded.text });
  }
  return { fields, guessed };
}

function decodeHeaderValue(value: string): string {
  try {
    return decodeWords(value);
  } catch {
    return value;
  }
}

export function normaliseMessageId(value: string | null | undefined): string | null {
  if (!value) return null;
  const bracketed = /<([^<>\s]+)>/.exec(value);
  const id = (bracketed?.[1] ?? value.trim().split(/\s+/)[0] ?? '').replace(/^<|>$/g, '').trim();
  return id === '' ? null : id;
}

/** Message-IDs in In-Reply-To/References order; tolerates missing brackets and junk between ids. */
export function messageIdList(values: string[]): string[] {
  const ids: string[] = [];
  for (const value of values) {
    const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
    const found =
      bracketed.length > 0 ? bracketed : value.split(/[\s,]+/).filter((t) => t.includes('@'));
    for (const id of found) if (!ids.includes(id)) ids.push(id);
  }
  // The first id is the thread root; keep it plus the most recent ones.
  return ids.length > MAX_REFERENCES
    ? [ids[0]!, ...ids.slice(ids.length - MAX_REFERENCES + 1)]
    : ids;
}

export function normaliseAddress(raw: RawAddress, bareTokenIsAddress = false): Address | null {
  let address = (raw.address ?? '')
    .trim()
    .replace(/^<+|>+$/g, '')
    .trim()
    // "Jane <mailto:jane@example.com>": a link pasted as the address; the scheme is no part of it.
    .replace(/^mailto:(?=[^@\s]+@)/i, '');
  // From: "MAILER-DAEMON <>" or a bare "MAILER-DAEMON": libraries put the token in the name.
  if (bareTokenIsAddress && address === '' && /^[\w.+-]+$/.test((raw.name ?? '').trim()))
    address = (raw.name ?? '').trim();
  const at = address.lastIndexOf('@');
  if (at > 0) address = address.slice(0, at) + address.slice(at).toLowerCase();
  // Brackets left behind by a doubled or square-bracketed address ("Jane <<a@b>>", "Jane [a@b]").
  const name = (raw.name ?? '')
    .replace(/\s*(?:\[\s*\]|>+)\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (address === '' && name === '') return null;
  return { name, address };
}

// A comment that holds nothing but an address: "Namedyński (hans@example.com)".
const COMMENT_ADDRESS = /\(\s*([^\s()<>@,;:"\\]+@[^\s()<>@,;:"\\]+\.[^\s()<>@,;:"\\]+)\s*\)/g;

/** Top-level entries of an address header: commas inside quotes, comments or <...> do not split. */
function addressEntries(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (quoted) quoted = c !== '"';
    else if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && c === '<') angle = true;
    else if (depth === 0 && c === '>') angle = false;
    else if (depth === 0 && !angle && c === ',') {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

/**
 * "Name (address)" — the reverse of the old "address (Name)" form — reads as a name and a comment
 * with no address at all, and the recipient would be lost. An entry whose only address sits in
 * such a comment gets it, when there is one such entry for each name-only entry the library gave.
 */
export function addressesFromComments(list: RawAddress[], rawValues: string[]): RawAddress[] {
  const nameOnly = list.filter((a) => !a.address && !a.group && a.name);
  if (nameOnly.length === 0) return list;
  const found: string[] = [];
  for (const entry of rawValues.flatMap(addressEntries)) {
    // An unclosed quote runs to the end (as the address parser reads it); matching it that way also
    // keeps this linear, where a pattern that must find the closing quote rescans from every quote.
    const outside = entry.replace(/"(?:[^"\\]|\\[\s\S]?)*(?:"|$)/g, '').replace(/\([^()]*\)/g, '');
    if (outside.includes('@') || outside.includes('<') || outside.includes(':')) continue;
    const inComment = [...entry.matchAll(COMMENT_ADDRESS)];
    if (inComment.length === 1) found.push(inComment[0]![1]!);
  }
  if (found.length !== nameOnly.length) return list;
  let next = 0;
  return list.map((a) => (nameOnly.includes(a) ? { ...a, address: found[next++]! } : a));
}

export function normaliseAddressList(list: RawAddress[], bareTokenIsAddress = false): Address[] {
  const out: Address[] = [];
  for (const entry of list) {
    for (const member of entry.group ?? [entry]) {
      const a = normaliseAddress(member, bareTokenIsAddress);
      if (a && a.address !== '') out.push(a);
    }
  }
  return out;
}

/** RFC 5322 date → Date, or null for anything unparseable or absurd. */
export function parseMailDate(value: string): Date | null {
  const cleaned = value
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\b(UT|GMT|UTC|Z)\b/i, '+0000')
    .replace(/^\s*[A-Za-z]{3,},?\s*/, '')
    .replace(/(\d{1,2}):(\d{2})(?::(\d{2}))?\.\d+/, '$1:$2:$3')
    .replace(/\s+/g, ' ')
    .trim();
  const twoDigitYear = /^(\d{1,2} [A-Za-z]{3,} )(\d{2})( .*)$/.exec(cleaned);
  const candidate = twoDigitYear
    ? `${twoDigitYear[1]}${Number(twoDigitYear[2]) < 50 ? 2000 + Number(twoDigitYear[2]) : 1900 + Number(twoDigitYear[2])}${twoDigitYear[3]}`
    : cleaned;
  const ms = Date.parse(candidate);
  if (Number.isNaN(ms)) return null;
  const year = new Date(ms).getUTCFullYear();
  return year >= 1970 && year <= 2200 ? new Date(ms) : null;
}

/** Whether some decoder reads this charset label (TextDecoder, or one iconv-lite knows under another name). */
export function knownCharset(label: string): boolean {
  const decodes = (l: string) => {
    try {
      new TextDecoder(l);
      return true;
    } catch {
      return false;
    }
  };
  // mailparser's decoder (iconv-lite) reads a label with its punctuation dropped ('latin-1' is
  // latin1) and Microsoft's ms9xx code page names, so those are known too.
  const bare = label
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  return (
    decodes(label.trim()) ||
    /^(ks_c_5601-1987|cp-?\d{3,5}|iso-?8859-\d+(-i)?|windows-\d{3,5}|x-mac-\w+|macintosh|ascii|us-ascii|utf-?8|7bit|8bit)$/i.test(
      label.trim(),
    ) ||
    /^ms9(32|36|49|50)$/.test(bare) ||
    (bare !== '' && !/^utf7|^unicode11utf7/.test(bare) && decodes(bare))
  );
}

// Bare From tokens that are real senders on their own host: bounces come "From: MAILER-DAEMON".
const DAEMON_TOKEN = /^(?:mailer-daemon|mail-daemon|mailerdaemon|postmaster|root|daemon|nobody)$/i;

/** Assemble the ParsedMessage from the library's output and the library-independent scan. */
export function buildParsedMessage(out: AdapterOutput, scan: MimeScan): ParsedMessage {
  const warnings = new Set<string>();
  const { fields, guessed } = headerFields(scan.topHeaders, scan.declaredCharsets);
  if (guessed) warnings.add('charset_fallback');
  const all = (key: string) => fields.filter((f) => f.key === key).map((f) => f.value);
  const headers = new Map<string, string[]>();
  for (const { key, value } of fields) {
    if (!KEPT_HEADERS.has(key) && !KEPT_PREFIXES.some((p) => key.startsWith(p))) continue;
    const list = headers.get(key) ?? [];
    if (list.length >= MAX_VALUES_PER_HEADER) continue;
    let decoded = decodeHeaderValue(fixMislabelledWords(value, scan.declaredCharsets));
    if (decoded.includes('\uFFFD'))
      decoded = decodeHeaderValue(fixMislabelledWords(value, scan.declaredCharsets, true));
    list.push(decoded);
    headers.set(key, list);
  }
  for (const cs of scan.declaredCharsets) if (!knownCharset(cs)) warnings.add('charset_fallback');

  // Of several Date headers the first that parses wins: a broken one first must not hide a good one.
  const dateValues = all('date');
  const date = dateValues.map(parseMailDate).find((d) => d !== null) ?? null;
  if (dateValues.length === 0) warnings.add('date_missing');
  else if (date === null) warnings.add('date_invalid');

  const deliveredTo = [...all('delivered-to'), ...all('x-original-to')]
    .map((v) => (/<([^<>]+)>/.exec(v)?.[1] ?? v).trim().toLowerCase())
    .filter((v, i, arr) => v !== '' && arr.indexOf(v) === i);

  const subject = out.subject ?? '';
  // Files uuencoded into the plain body are attachments, as clients show them (uudecode.ts).
  const uu = out.text === null ? null : splitUuencodedFiles(out.text);
  const bodyText = uu?.text ?? out.text;
  const text = bodyText !== null && (bodyText.trim() !== '' || out.html === null) ? bodyText : null;
  for (const s of [subject, text ?? '', out.html ?? ''])
    if (s.includes('\uFFFD')) warnings.add('charset_fallback');

  // A From without any address (missing, "<>", garbage) falls back to Sender, then Reply-To, so the
  // ticket still has a requester; the missing From is recorded.
  const withComments = (list: RawAddress[], key: string) => addressesFromComments(list, all(key));
  if (all('from').length > 1) warnings.add('from_duplicate');
  let from = normaliseAddressList(withComments(out.from, 'from'), true)[0] ?? null;
  // "From: Moderator-Address" names nobody who could be answered: Sender or Reply-To stand in when
  // they name an address; otherwise the name is kept without an address (no requester address).
  if (from !== null && !from.address.includes('@') && !DAEMON_TOKEN.test(from.address)) {
    const stand = [...normaliseAddressList(out.sender), ...normaliseAddressList(out.replyTo)].find(
      (a) => a.address.includes('@'),
    );
    warnings.add('from_invalid');
    from = stand ?? { name: from.name || from.address, address: '' };
  }
  if (from === null) {
    from =
      normaliseAddressList(out.sender, true)[0] ?? normaliseAddressList(out.replyTo)[0] ?? null;
    warnings.add(from ? 'from_fallback' : 'from_missing');
  }
  const comment = /^\s*([\w.+-]+)\s*\(([^()]*)\)\s*$/.exec(all('from')[0] ?? '');
  if (
    comment &&
    from &&
    from.address === comment[1] &&
    (from.name === '' || from.name === from.address)
  )
    from = { ...from, name: comment[2]!.trim() };
  return {
    messageId: normaliseMessageId(all('message-id')[0]),
    inReplyTo: messageIdList(all('in-reply-to')),
    references: messageIdList(all('references')),
    from,
    sender: normaliseAddressList(out.sender, true)[0] ?? null,
    replyTo: normaliseAddressList(withComments(out.replyTo, 'reply-to')),
    to: normaliseAddressList(withComments(out.to, 'to')),
    cc: normaliseAddressList(withComments(out.cc, 'cc')),
    deliveredTo,
    subject,
    date,
    headers,
    text,
    html: out.html,
    attachments: [
      ...out.attachments,
      ...(uu?.files ?? []).map((f) => ({
        ...f,
        description: null,
        contentType: 'application/octet-stream',
        contentId: null,
        inline: false,
      })),
    ].map((a) =>
      describeAttachment({
        filename: a.filename || fallbackName(a),
        declaredType: a.contentType,
        contentId: a.contentId,
        inline: a.inline,
        content: a.content,
      }),
    ),
    isMultipartReport: scan.isMultipartReport,
    reportParts: { deliveryStatus: scan.deliveryStatus, originalHeaders: scan.originalHeaders },
    warnings: [...warnings],
  };
}

const EXTENSION: Record<string, string> = {
  'text/plain': '.txt',
  'message/delivery-status': '.txt',
  'message/global-delivery-status': '.txt',
  'text/rfc822-headers': '.txt',
  'text/html': '.html',
  'text/calendar': '.ics',
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'application/pdf': '.pdf',
  'message/rfc822': '.eml',
  'message/global': '.eml',
  'video/quicktime': '.mov',
  'video/mp4': '.mp4',
  'audio/mpeg': '.mp3',
};

/** A readable name for a part that names no file: the forwarded mail's subject, its description, or its type. */
function fallbackName(a: AdapterAttachment): string | null {
  const type = a.contentType.toLowerCase();
  const ext = EXTENSION[type] ?? '';
  const description = a.description?.trim() || null;
  if (type === 'message/rfc822' || type === 'message/global') {
    const start = a.content.subarray(0, 64 * 1024).toString('latin1');
    const head = start.split(/\r?\n\r?\n/)[0] ?? '';
    // Raw 8-bit header bytes: the charsets the attached message declares are the best evidence.
    const declared = /[\x80-\xff]/.test(head)
      ? [...start.matchAll(/charset\s*=\s*"?([\w.:-]+)/gi)].map((m) => m[1]!)
      : [];
    const subject = headerFields(head, declared).fields.find((f) => f.key === 'subject')?.value;
    return `${(subject && decodeHeaderValue(subject).trim()) || description || 'message'}.eml`;
  }
  if (type === 'message/delivery-status' || type === 'message/global-delivery-status')
    return `${description ?? 'delivery-status'}.txt`;
  // Outlook names inline images only in the Content-ID ("image001.jpg@01D5...").
  const cidName = /^<?([^@<>]+\.[a-z0-9]{2,4})@/i.exec(a.contentId ?? '')?.[1];
  if (cidName) return cidName;
  const major = /^(image|video|audio)\/([a-z0-9.+-]+)/.exec(type);
  if (major) return `${major[1]}${ext || `.${major[2]!.replace(/[^a-z0-9]/g, '')}`}`;
  return null;
}
