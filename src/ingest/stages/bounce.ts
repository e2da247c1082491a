// Bounce/DSN details: which message came back (so the bounce can join that message's ticket) and
// what happened per recipient. RFC 3464 delivery-status parts first; for the many MTAs that send
// plain-text bounces, the X-Failed-Recipients header and the body text are read instead.
import type { BounceInfo, BounceRecipient, ParsedMessage } from '../types.js';
import { sesOriginalMessageId, sesRecipients } from './bounce-notices.js';
import {
  cleanAddress,
  diagnosticOf,
  recipientsFromReport,
  refineStatus,
  reportRegion,
  transcriptLine,
} from './bounce-text.js';
import { DELAY, says, WARNING_ONLY } from './bounce-words.js';
import { BOUNCE_SUBJECT } from './classify-words.js';
import { htmlToText } from './html-to-text.js';
import { normaliseMessageId } from './normalise-values.js';

const MAX_RECIPIENTS = 100;
const STATUS = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const SMTP_REPLY = /(?:^|[\s(:"'])([245]\d\d)(?=[\s-])/;
// Starts only where a run of address characters starts: tried at every position inside a long
// run, the scan is quadratic (a 80 kB line took 30 s).
const EMAIL =
  /(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;

/** "Name: value" fields of a header-like block, unfolded, names lowercased. */
function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    last = m[1]!.toLowerCase();
    if (!fields.has(last)) fields.set(last, m[2]!.trim());
  }
  return fields;
}

// A quoted local part may hold spaces and other specials ("\"john doe\"@example.com", RFC 5321
// 4.1.2): the quotes are part of the address and stay.
const QUOTED_LOCAL = /^"(?:[^"\\\r\n]|\\.)+"@[^\s@<>"]+$/;
const PLAIN_ADDRESS = /^[^\s@]+@[^\s@]+$/;

const addressOf = (value: string): string => {
  const afterType = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  const bare = afterType.trim().replace(/^<|>$/g, '').trim();
  return QUOTED_LOCAL.test(bare) ? bare.toLowerCase() : cleanAddress(bare);
};
const isAddress = (a: string): boolean => PLAIN_ADDRESS.test(a) || QUOTED_LOCAL.test(a);

function isHard(status: string | null, diagnostic: string | null, action: string | null): boolean {
  if (status) return status.startsWith('5');
  const reply = diagnostic ? SMTP_REPLY.exec(diagnostic)?.[1] : undefined;
  if (reply) return reply.startsWith('5');
  return action === 'failed';
}

/** Per-recipient blocks of an RFC 3464 message/delivery-status body. */
export function parseDeliveryStatus(body: string): BounceRecipient[] {
  const blocks = body.split(/\r?\n[ \t]*\r?\n/).map(fieldsOf);
  const out: BounceRecipient[] = [];
  for (const f of blocks) {
    // The original recipient is the address the sender wrote (and the one a reply went to); the
    // final one may be an alias the receiving side expanded it to.
    const original = f.get('original-recipient');
    const rcpt =
      original && /^\s*rfc822\s*;/i.test(original) && isAddress(addressOf(original))
        ? original
        : (f.get('final-recipient') ?? original);
    if (!rcpt) continue;
    const address = addressOf(rcpt);
    if (!isAddress(address)) continue;
    const action = f.get('action')?.toLowerCase().split(/[\s(]/)[0] ?? null;
    const diagnostic =
      (f.get('diagnostic-code') ?? '').replace(/^\s*(?:smtp|x-[\w-]+)\s*;\s*/i, '').slice(0, 500) ||
      null;
    // Some MTAs leave Status out (or write a bare class) and give the code in the diagnostic only;
    // others write X.0.0 or X.5.0 while the server's answer they quote names the cause.
    const field = STATUS.exec(f.get('status') ?? '')?.[0] ?? null;
    const answered =
      diagnostic && SMTP_REPLY.test(diagnostic) ? (STATUS.exec(diagnostic)?.[0] ?? null) : null;
    const status =
      field === null || (/^[45]\.0\.0$/.test(field) && answered?.[0] === field[0])
        ? (answered ?? field)
        : refineStatus(field, diagnostic);
    // A delay warning (action: delayed, 4.x.x) says the message is still on its way.
    const hard =
      action === 'delayed' ||
      action === 'delivered' ||
      action === 'relayed' ||
      action === 'expanded' ||
      action === 'deliverable'
        ? false
        : isHard(status, diagnostic, action);
    out.push({ address, action, status, hard, diagnostic });
    if (out.length >= MAX_RECIPIENTS) break;
  }
  return out;
}

/**
 * Addresses of the returned message's sender (or, with `lists`, its mailing list): a report
 * mentions them, they did not fail.
 */
function originalParties(head: string, lists: boolean): string[] {
  const fields = fieldsOf(head);
  const out: string[] = [];
  const keys = ['from', 'sender', 'reply-to', 'return-path', 'errors-to'];
  for (const key of lists
    ? ['list-id', 'list-post', 'list-help', 'list-unsubscribe', 'list-subscribe', 'x-beenthere']
    : keys) {
    for (const a of fields.get(key)?.match(EMAIL) ?? []) out.push(a.toLowerCase());
  }
  // List-Id names the list as "<name.domain>"; its posting address is usually name@domain.
  const listId = /<([^.<>@\s]+)\.([^<>@\s]+\.[^<>@\s]+)>/.exec(fields.get('list-id') ?? '');
  if (lists && listId) out.push(`${listId[1]}@${listId[2]}`.toLowerCase());
  return out;
}

/** The header block of the returned message copied into a plain-text report below the report itself. */
function copiedHeaders(text: string): string {
  const report = reportRegion(text);
  const rest = text
    .split(/\r?\n/)
    .slice(report.length)
    .map((l) => l.replace(/^\s*(?:>\s?)+/, ''));
  const start = rest.findIndex((l) => /^[A-Za-z-]+:/.test(l));
  if (start < 0) return '';
  const end = rest.findIndex((l, i) => i > start && l.trim() === '');
  return rest.slice(start, end < 0 ? undefined : end).join('\n');
}

// A DSN pasted into the text (Amazon WorkMail's "Technical report:", some Sendmail set-ups) has the
// per-recipient fields of a message/delivery-status part; they are read like one.
function dsnInText(text: string): BounceRecipient[] {
  const lines = reportRegion(text);
  const at = lines.findIndex((l) =>
    /^(?:reporting-mta|final-recipient|original-recipient)\s*:/i.test(l),
  );
  if (at >= 0 && lines.slice(at).some((l) => /^final-recipient\s*:/i.test(l)))
    return parseDeliveryStatus(lines.slice(at).join('\n'));
  // A whole bounce relayed as text (a provider's postmaster desk passing it on) keeps its MIME
  // lines: its delivery-status part, up to the next boundary, is the report.
  const part = /^content-type:\s*message\/delivery-status\b.*$/im.exec(text);
  if (!part) return [];
  const rest = text.slice(part.index + part[0].length, part.index + 64 * 1024);
  const end = rest.search(/^--\S/m);
  return parseDeliveryStatus(end < 0 ? rest : rest.slice(0, end));
}

/** Plain-text bounces: X-Failed-Recipients, else the addresses the report ties to a failure. */
function recipientsFromText(msg: ParsedMessage): BounceRecipient[] {
  const out = new Map<string, BounceRecipient>();
  const text = (msg.text ?? msg.htmlText ?? (msg.html ? htmlToText(msg.html) : '')).slice(
    0,
    256 * 1024,
  );
  const ses = sesRecipients(text);
  if (ses.length > 0) return ses;
  const pasted = dsnInText(text);
  if (pasted.length > 0) return pasted;
  // The report read line by line gives each recipient its own code when one paragraph lists several.
  let report: BounceRecipient[] | null = null;
  let paragraphs: { text: string; lower: string }[] | null = null;
  const listed = (msg.headers.get('x-failed-recipients') ?? []).flatMap(
    (value) => value.match(EMAIL) ?? [],
  );
  for (const addr of listed.slice(0, MAX_RECIPIENTS)) {
    const a = cleanAddress(addr);
    // The paragraph naming the address with a code (Gmail puts the address alone on a line and
    // the server's answer in a paragraph below), else the first naming it.
    paragraphs ??= text.split(/\r?\n[ \t]*\r?\n/).map((p) => ({ text: p, lower: p.toLowerCase() }));
    const named = paragraphs.filter((p) => p.lower.includes(a)).map((p) => p.text);
    const para =
      named.find((p) => STATUS.test(p)) ?? named.find((p) => SMTP_REPLY.test(p)) ?? named[0] ?? '';
    report ??= recipientsFromReport(text, { exclude: new Set(), messageIds: [] });
    const own = report.find((r) => r.address === a && r.status !== null);
    if (own) {
      out.set(a, { ...own, action: 'failed' });
      continue;
    }
    const status = STATUS.exec(para)?.[0] ?? null;
    const reply = SMTP_REPLY.exec(para)?.[1] ?? null;
    out.set(a, {
      address: a,
      action: 'failed',
      status,
      hard: status ? status.startsWith('5') : reply ? reply.startsWith('5') : true,
      diagnostic: diagnosticOf(para),
    });
  }
  if (out.size > 0) return [...out.values()];
  const copied = copiedHeaders(text);
  // The copy's own recipients stay candidates even when they also sent it (a forwarding loop);
  // a list address never does.
  const copiedTo = new Set(
    (fieldsOf(copied).get('to') ?? '').match(EMAIL)?.map((a) => a.toLowerCase()) ?? [],
  );
  const exclude = new Set(
    [
      msg.from?.address,
      msg.sender?.address,
      ...msg.to.map((a) => a.address),
      ...originalParties(msg.reportParts.originalHeaders ?? '', false),
      ...originalParties(msg.reportParts.originalHeaders ?? '', true),
      ...originalParties(copied, false).filter((a) => !copiedTo.has(a)),
      ...originalParties(copied, true),
    ]
      .filter((a): a is string => !!a)
      .map((a) => a.toLowerCase()),
  );
  const ids = [
    msg.messageId,
    messageIdFromHeaders(msg.reportParts.originalHeaders),
    messageIdFromHeaders(copied),
    ...msg.references,
    ...msg.inReplyTo,
  ].filter((id): id is string => !!id);
  const fromDomain = msg.from?.address.split('@')[1]?.toLowerCase() ?? '';
  const sentTo = (head: string) =>
    ['to', 'cc'].flatMap((k) => fieldsOf(head).get(k)?.match(EMAIL) ?? []);
  return recipientsFromReport(text, {
    exclude,
    messageIds: ids,
    originalTo: new Set(
      [...sentTo(msg.reportParts.originalHeaders ?? ''), ...sentTo(copied)].map((a) =>
        a.toLowerCase(),
      ),
    ),
    bareNameDomain: /(?:^|\.)aol\.com$/.test(fromDomain) ? 'aol.com' : null,
    subjectSaysFailure: subjectSaysFailure(msg.subject),
  });
}

// A bounce subject that is neither a delay warning's ("Delivery Status Notification (Delay)",
// "Warning: message delayed", "Delivery deferred") nor a success notice's ("Delivery Status
// Notification (Success)", Exchange's "Delivered: …", "Relayed: …").
const NOT_FAILURE_SUBJECT =
  /\b(?:delay(?:ed)?|warning|defer(?:red)?|advisory|retry(?:ing)?|success(?:ful)?|relayed|expanded)\b|\(delivered\)|^\s*delivered\s*:/i;
const subjectSaysFailure = (subject: string): boolean =>
  BOUNCE_SUBJECT.test(subject) &&
  !NOT_FAILURE_SUBJECT.test(subject) &&
  !says(DELAY, subject) &&
  !says(WARNING_ONLY, subject);

function messageIdFromHeaders(block: string | null): string | null {
  if (!block) return null;
  const m = /^message-id[ \t]*:[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)/im.exec(block);
  return m ? normaliseMessageId(m[1]!.replace(/\r?\n[ \t]+/g, ' ')) : null;
}

// Outlook.com's feedback loop (JMRP) sends no ARF report: it returns the complained-about mail
// itself, our own Message-ID included, marked with the address that complained.
export const isJmrp = (msg: ParsedMessage): boolean =>
  (msg.headers.get('x-hmxmroriginalrecipient')?.length ?? 0) > 0;

/** Original Message-ID: returned headers, then an attached original, then the quoted text. */
export function originalMessageId(msg: ParsedMessage): string | null {
  if (isJmrp(msg)) return msg.messageId;
  const fromReport = messageIdFromHeaders(msg.reportParts.originalHeaders);
  if (fromReport) return fromReport;
  for (const a of msg.attachments) {
    if (
      a.declaredType === 'message/rfc822' ||
      a.declaredType === 'text/rfc822-headers' ||
      a.declaredType === 'message/global'
    ) {
      const head =
        a.content
          .subarray(0, 64 * 1024)
          .toString('utf8')
          .split(/\r?\n\r?\n/)[0] ?? '';
      const id = messageIdFromHeaders(head);
      if (id) return id;
    }
  }
  const ses = sesOriginalMessageId(msg.text ?? '');
  if (ses) return normaliseMessageId(ses);
  const fromText = messageIdFromHeaders(msg.text?.slice(0, 256 * 1024) ?? null);
  if (fromText && fromText !== msg.messageId) return fromText;
  return msg.inReplyTo[0] ?? msg.references.at(-1) ?? null;
}

export function parseBounce(msg: ParsedMessage): BounceInfo {
  const fromDsn = msg.reportParts.deliveryStatus
    ? parseDeliveryStatus(msg.reportParts.deliveryStatus)
    : [];
  // A DSN without a Diagnostic-Code (Sendmail's delay warnings) leaves the reason to the text.
  if (fromDsn.some((r) => r.diagnostic === null)) {
    const region = reportRegion(msg.text?.slice(0, 256 * 1024) ?? '');
    for (const r of fromDsn) r.diagnostic ??= transcriptLine(region, r.address);
  }
  return {
    originalMessageId: originalMessageId(msg),
    recipients: fromDsn.length > 0 ? fromDsn : recipientsFromText(msg),
  };
}
