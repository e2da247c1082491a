// Bounce/DSN details: which message came back (so the bounce can join that message's ticket) and
// what happened per recipient. RFC 3464 delivery-status parts first; for the many MTAs that send
// plain-text bounces, the X-Failed-Recipients header and the body text are read instead.
import type { BounceInfo, BounceRecipient, ParsedMessage } from '../types.js';
import { normaliseMessageId } from './normalise.js';

const MAX_RECIPIENTS = 100;
const STATUS = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const SMTP_REPLY = /(?:^|[\s(:"'])([245]\d\d)(?=[\s-])/;
const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;

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

const addressOf = (value: string): string => {
  const afterType = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  return afterType.trim().replace(/^<|>$/g, '').trim().toLowerCase();
};

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
    const rcpt = f.get('final-recipient') ?? f.get('original-recipient');
    if (!rcpt) continue;
    const status = STATUS.exec(f.get('status') ?? '')?.[0] ?? null;
    const action = f.get('action')?.toLowerCase().split(/[\s(]/)[0] ?? null;
    out.push({ address: addressOf(rcpt), action, status, hard: isHard(status, f.get('diagnostic-code') ?? null, action) });
    if (out.length >= MAX_RECIPIENTS) break;
  }
  return out;
}

/** Plain-text bounces: addresses named in X-Failed-Recipients or next to an SMTP/enhanced status code. */
function recipientsFromText(msg: ParsedMessage): BounceRecipient[] {
  const out = new Map<string, BounceRecipient>();
  const own = new Set([msg.from?.address.toLowerCase(), ...msg.to.map((a) => a.address.toLowerCase())]);
  const text = (msg.text ?? '').slice(0, 256 * 1024);
  const paragraphs = text.split(/\r?\n[ \t]*\r?\n/);
  const codeFor = (addr: string): { status: string | null; reply: string | null } => {
    const para = paragraphs.find((p) => p.toLowerCase().includes(addr)) ?? '';
    return { status: STATUS.exec(para)?.[0] ?? null, reply: SMTP_REPLY.exec(para)?.[1] ?? null };
  };
  for (const value of msg.headers.get('x-failed-recipients') ?? []) {
    for (const addr of value.match(EMAIL) ?? []) {
      const { status, reply } = codeFor(addr.toLowerCase());
      out.set(addr.toLowerCase(), { address: addr.toLowerCase(), action: 'failed', status, hard: status ? status.startsWith('5') : reply ? reply.startsWith('5') : true });
    }
  }
  if (out.size > 0) return [...out.values()];
  for (const para of paragraphs) {
    const status = STATUS.exec(para)?.[0] ?? null;
    const reply = SMTP_REPLY.exec(para)?.[1] ?? null;
    if (!status && !reply) continue;
    for (const addr of para.match(EMAIL) ?? []) {
      const a = addr.toLowerCase();
      if (own.has(a) || out.has(a) || /^(mailer-daemon|postmaster)@/.test(a)) continue;
      out.set(a, { address: a, action: null, status, hard: status ? status.startsWith('5') : reply!.startsWith('5') });
      if (out.size >= MAX_RECIPIENTS) return [...out.values()];
    }
  }
  return [...out.values()];
}

function messageIdFromHeaders(block: string | null): string | null {
  if (!block) return null;
  const m = /^message-id[ \t]*:[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)/im.exec(block);
  return m ? normaliseMessageId(m[1]!.replace(/\r?\n[ \t]+/g, ' ')) : null;
}

/** Original Message-ID: returned headers, then an attached original, then the quoted text. */
export function originalMessageId(msg: ParsedMessage): string | null {
  const fromReport = messageIdFromHeaders(msg.reportParts.originalHeaders);
  if (fromReport) return fromReport;
  for (const a of msg.attachments) {
    if (a.declaredType === 'message/rfc822' || a.declaredType === 'text/rfc822-headers' || a.declaredType === 'message/global') {
      const head = a.content.subarray(0, 64 * 1024).toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
      const id = messageIdFromHeaders(head);
      if (id) return id;
    }
  }
  const fromText = messageIdFromHeaders(msg.text?.slice(0, 256 * 1024) ?? null);
  if (fromText && fromText !== msg.messageId) return fromText;
  return msg.inReplyTo[0] ?? msg.references.at(-1) ?? null;
}

export function parseBounce(msg: ParsedMessage): BounceInfo {
  const fromDsn = msg.reportParts.deliveryStatus ? parseDeliveryStatus(msg.reportParts.deliveryStatus) : [];
  return {
    originalMessageId: originalMessageId(msg),
    recipients: fromDsn.length > 0 ? fromDsn : recipientsFromText(msg),
  };
}
