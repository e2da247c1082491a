// Submits composed MIME over SMTP, then files a copy in Sent when the server does not do that itself.
// The envelope comes from the message's own headers; Bcc recipients get the mail but the Bcc header
// is removed from the transmitted bytes (the Sent copy keeps it, as mail clients do).
import type { ImapFlow } from 'imapflow';
import addressparser from 'nodemailer/lib/addressparser/index.js';

import type { ProviderLogger, SendMeta, SendResult } from '../mail-provider.js';
import { ProviderError, toProviderError } from '../provider-errors.js';
import { pinServer, type ResolvedImapSettings, smtpTransportOptions } from './imap-settings.js';
import { submitGated } from './smtp-submit.js';

export interface ParsedEnvelope {
  from: string;
  to: string[];
  /** The MIME with any Bcc header removed. */
  transmit: Buffer;
}

function headerEnd(mime: Buffer): number {
  const crlf = mime.indexOf('\r\n\r\n');
  const lf = mime.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return mime.length;
  if (crlf === -1) return lf + 2;
  if (lf === -1) return crlf + 4;
  return Math.min(crlf + 4, lf + 2);
}

/** Splits the header block into unfolded fields, keeping the raw byte span of each for removal. */
function headerFields(head: string): { name: string; value: string; start: number; end: number }[] {
  const out: { name: string; value: string; start: number; end: number }[] = [];
  const re = /^([!-9;-~]+):([^\n]*(?:\n[ \t][^\n]*)*)\n?/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(head)) !== null) {
    if (!m[1] || m[2] === undefined) continue;
    out.push({
      name: m[1].toLowerCase(),
      value: m[2]
        .replace(/\r?\n[ \t]/g, ' ')
        .replace(/\r$/, '')
        .trim(),
      start: m.index,
      end: m.index + m[0].length,
    });
  }
  return out;
}

const addresses = (value: string): string[] =>
  addressparser(value, { flatten: true })
    .map((a) => a.address.trim())
    .filter((a) => a.includes('@'));

export function envelopeFromMime(mime: Buffer): ParsedEnvelope {
  const end = headerEnd(mime);
  // latin1 keeps a 1:1 byte/char mapping, so header offsets index the Buffer directly.
  const head = mime.subarray(0, end).toString('latin1');
  const fields = headerFields(head);
  const from = addresses(
    fields.find((f) => f.name === 'sender')?.value ??
      fields.find((f) => f.name === 'from')?.value ??
      '',
  )[0];
  if (!from) throw new ProviderError('permanent', 'The message has no From address');
  const seen = new Set<string>();
  const to: string[] = [];
  for (const f of fields) {
    if (f.name !== 'to' && f.name !== 'cc' && f.name !== 'bcc') continue;
    for (const a of addresses(f.value)) {
      const key = a.toLowerCase();
      if (!seen.has(key)) {
        seen.add(key);
        to.push(a);
      }
    }
  }
  if (to.length === 0) throw new ProviderError('permanent', 'The message has no recipients');
  const bcc = fields.filter((f) => f.name === 'bcc');
  let transmit = mime;
  if (bcc.length > 0) {
    const parts: Buffer[] = [];
    let pos = 0;
    for (const f of bcc) {
      parts.push(mime.subarray(pos, f.start));
      pos = f.end;
    }
    parts.push(mime.subarray(pos));
    transmit = Buffer.concat(parts);
  }
  return { from, to, transmit };
}

export async function smtpSubmit(
  s: ResolvedImapSettings,
  env: ParsedEnvelope,
  onTransmit: () => Promise<void>,
): Promise<void> {
  const target = await pinServer(s, 'smtp').catch((err: unknown) => {
    throw toProviderError(err, 'SMTP send');
  });
  try {
    await submitGated(smtpTransportOptions(s, target), env, onTransmit);
  } catch (err) {
    throw toProviderError(err, 'SMTP send');
  }
}

export const normalizeMessageId = (id: string): string => {
  const t = id.trim();
  return t.startsWith('<') ? t : `<${t}>`;
};

/** Sends, then appends to Sent. An APPEND failure is logged, never thrown: the mail already left,
 *  and an error here would make the send job send it again. */
export async function sendViaSmtp(
  s: ResolvedImapSettings,
  mime: Buffer,
  meta: SendMeta,
  appendToSent: (mime: Buffer) => Promise<boolean>,
  logger?: ProviderLogger,
): Promise<SendResult> {
  const env = envelopeFromMime(mime);
  await smtpSubmit(s, env, meta.onTransmit);
  if (s.serverSavesSent) return { providerMessageId: null, savedToSent: true };
  try {
    return { providerMessageId: null, savedToSent: await appendToSent(mime) };
  } catch (err) {
    logger?.warn(
      {
        errCode: (err as { code?: unknown })?.code ?? null,
        messageIdPresent: meta.messageId.length > 0,
      },
      'sent mail could not be appended to the Sent folder',
    );
    return { providerMessageId: null, savedToSent: false };
  }
}

/** APPENDs a sent copy, marked \Seen, creating the folder when the server has none. */
export async function appendSent(client: ImapFlow, folder: string, mime: Buffer): Promise<boolean> {
  const exists = (await client.list()).some((f) => f.path === folder);
  if (!exists) await client.mailboxCreate(folder);
  const res = await client.append(folder, mime, ['\\Seen'], new Date());
  return res !== false;
}

export async function findInSent(
  client: ImapFlow,
  folder: string | null,
  messageId: string,
): Promise<boolean> {
  if (!folder) return false;
  try {
    await client.mailboxOpen(folder, { readOnly: true });
  } catch (err) {
    if ((err as { mailboxMissing?: unknown }).mailboxMissing === true) return false;
    throw err;
  }
  // SEARCH HEADER is a substring match; the angle brackets make it match the whole id only.
  const hits = await client.search(
    { header: { 'message-id': normalizeMessageId(messageId) } },
    { uid: true },
  );
  return Array.isArray(hits) && hits.length > 0;
}
