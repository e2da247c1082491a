// Turns what a MIME library produced into a ParsedMessage. Everything that does not depend on the
// library (header map, Message-IDs, dates, Delivered-To, charset warnings) is derived here from the
// raw top-level header block, so swapping the parser changes only bodies, addresses and attachments.
import type { ParsedMessage } from '../types.js';
import { describeAttachment } from './attachments-meta.js';
import { fixMislabelledWords } from './header-charset-words.js';
import { addressesFromComments, normaliseAddressList } from './normalise-address.js';
import type { AdapterAttachment, AdapterOutput, MimeScan, RawAddress } from './normalise-types.js';
import {
  decodeHeaderValue,
  headerFields,
  knownCharset,
  messageIdList,
  normaliseMessageId,
  parseMailDate,
} from './normalise-values.js';
import { splitUuencodedFiles } from './uudecode.js';

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
  'x-rt-loop-prevention',
  'x-otrs-loop',
  'x-otobo-loop',
  'mailing-list',
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
  // Machine-mail signs classify-machine.ts reads: list, program and spam-filter headers.
  'x-mailing-list',
  'x-cron-env',
  'x-fc-machinegenerated',
  'x-facebook-notify',
  'x-ebay-mailtracker',
  'x-spam-flag2',
  'x-spam-status',
  'x-barracuda-spam-status',
  'x-dspam-result',
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

// Bare From tokens that are real senders on their own host: bounces come "From: MAILER-DAEMON".
const DAEMON_TOKEN = /^(?:mailer-daemon|mail-daemon|mailerdaemon|postmaster|root|daemon|nobody)$/i;

// A From that is only the null sender: "<>", optionally after a display name, nothing else.
const NULL_FROM = /^\s*(?:"[^"]*"\s*|[^<>"@,]*)<\s*>\s*$/;

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
  // RFC 5321's null reverse-path copied into From ("<>", perhaps after a name) names no address,
  // so the library drops it; the flag keeps what it said for classify.ts (machine mail).
  if (NULL_FROM.test(all('from')[0] ?? '')) warnings.add('from_null_sender');
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
  // A file of a known type keeps an extension, so the agent's computer opens it with the right
  // program (an unnamed text/calendar invitation is attachment.ics, as Gmail shows it).
  return ext ? `attachment${ext}` : null;
}
