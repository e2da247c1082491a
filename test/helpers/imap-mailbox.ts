// Shared by the IMAP sync tests and the bench: a Dovecot user, messages to APPEND, the connect
// request body, and counts read straight from the database (as the owner, past RLS).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { ImapConnectInput } from '../../src/providers/imap/imap-connect.js';
import type { Db } from '../../src/store/db.js';
import type { DovecotHandle } from './dovecot.js';
import { mail } from './mail.js';
import type { SmtpSink } from './smtp-sink.js';

const run = promisify(execFile);
let seq = 0;

export async function newImapUser(
  dovecot: DovecotHandle,
  prefix = 'support',
): Promise<{ user: string; password: string }> {
  const n = ++seq;
  const user = `${prefix}${n}.${process.pid}@example.test`;
  const password = `pw-${n}-${Math.random().toString(36).slice(2)}`;
  await dovecot.addUser(user, password);
  return { user, password };
}

/** Changes a user's password behind Inlet's back (what a user does after a leak). Dovecot re-reads a
 *  passwd-file at most once a second, so this waits until the old password is really refused. */
export async function changePassword(
  dovecot: DovecotHandle,
  user: string,
  oldPassword: string,
  password: string,
): Promise<void> {
  const { writeFile, utimes } = await import('node:fs/promises');
  const { ImapFlow } = await import('imapflow');
  const file = join(dovecot.dir, 'users', user);
  await writeFile(file, `${user}:{PLAIN}${password}\n`, { mode: 0o644 });
  const later = new Date(Date.now() + 2000);
  await utimes(file, later, later); // a different mtime even within the same second
  await waitFor(
    'old password refused',
    async () => {
      const c = new ImapFlow({
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        auth: { user, pass: oldPassword },
        logger: false,
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.logout().catch(() => c.close());
        return false;
      } catch {
        return true;
      }
    },
    5000,
    200,
  );
}

let msgSeq = 0;
/** A customer message that opens a ticket of its own (unique Message-ID, sender and subject). */
export function customerMessage(tag = 'm'): { raw: Buffer; messageId: string } {
  const n = ++msgSeq;
  const messageId = `<${tag}${n}.${process.pid}.${Date.now()}@customer.test>`;
  const raw = Buffer.from(
    `From: Customer ${n} <c${n}.${tag}@customer.test>\r\nTo: support@example.test\r\nSubject: Order ${tag}-${n} is late\r\n` +
      `Message-ID: ${messageId}\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
      `Hello, order ${n} has not arrived yet.\r\n`,
    'utf8',
  );
  return { raw, messageId };
}

export function connectBody(
  dovecot: DovecotHandle,
  sink: SmtpSink,
  u: { user: string; password: string },
  extra: Record<string, unknown> = {},
) {
  return {
    provider: 'imap',
    imap: {
      host: dovecot.host,
      port: dovecot.port,
      tls: false,
      allow_plaintext: true,
      user: u.user,
      password: u.password,
    },
    smtp: {
      host: sink.host,
      port: sink.port,
      tls: false,
      allow_plaintext: true,
      user: 'sender',
      password: 'sender-pass',
    },
    ...extra,
  };
}

/** connectBody as the service-level connect input (ImapConnector.connect), for benches that skip HTTP. */
export function connectInput(
  dovecot: DovecotHandle,
  sink: SmtpSink,
  u: { user: string; password: string },
  backfill: ImapConnectInput['backfill'] = {},
): ImapConnectInput {
  const { imap, smtp } = connectBody(dovecot, sink, u);
  return { imap, smtp, backfill };
}

export interface Backlog {
  raws: Buffer[];
  /** Each reply's Message-ID with the Message-ID of the message it answers (listed before it). */
  replies: { messageId: string; parent: string }[];
  /** Every Message-ID, in mailbox order. */
  messageIds: string[];
}

/**
 * A mailbox backlog like a busy support inbox's: `total` messages, a share of them replies to
 * earlier ones (In-Reply-To and References, "Re:" subject, the original quoted), and every
 * `attachEvery`-th with an attachment of `attachBytes` random bytes.
 */
export function backlogMessages(
  total = 1000,
  opts: { replyShare?: number; attachEvery?: number; attachBytes?: number; tag?: string } = {},
): Backlog {
  const replyShare = opts.replyShare ?? 0.4;
  const attachEvery = opts.attachEvery ?? 20;
  const attachBytes = opts.attachBytes ?? 200_000;
  const tag = opts.tag ?? `bl${process.pid}.${Date.now()}`;
  const originals: { messageId: string; subject: string; from: string }[] = [];
  const out: Backlog = { raws: [], replies: [], messageIds: [] };
  const replies = Math.round(total * replyShare);
  for (let i = 0; i < total; i++) {
    // Replies spread evenly after the first originals, each answering an earlier original.
    const isReply =
      originals.length > 0 && Math.floor(((i + 1) * replies) / total) > out.replies.length;
    const messageId = `<${tag}.${i}@customer.test>`;
    const attachments =
      i % attachEvery === attachEvery - 1
        ? [
            {
              filename: `scan-${i}.pdf`,
              contentType: 'application/pdf',
              content: randomBytes(attachBytes), // random: clamd's cache never answers for it
            },
          ]
        : [];
    if (isReply) {
      const parent = originals[(i * 7) % originals.length]!;
      out.raws.push(
        mail({
          from: parent.from,
          subject: `Re: ${parent.subject}`,
          messageId: messageId.slice(1, -1),
          inReplyTo: parent.messageId,
          references: parent.messageId,
          text: `Any news on this?\r\n\r\nOn Monday you wrote:\r\n> We are looking into it.\r\n`,
          attachments,
        }),
      );
      out.replies.push({ messageId, parent: parent.messageId });
    } else {
      const from = `Customer ${i} <c${i}.${tag}@customer.test>`;
      const subject = `Order ${tag}-${i} has not arrived`;
      out.raws.push(
        mail({
          from,
          subject,
          messageId: messageId.slice(1, -1),
          text: `Hello,\r\n\r\norder ${i} has not arrived yet. Can you check?\r\n`,
          attachments,
        }),
      );
      originals.push({ messageId, subject, from });
    }
    out.messageIds.push(messageId);
  }
  return out;
}

export async function counts(
  db: Db,
  mailboxId: string,
): Promise<{ messages: number; deliveries: number; tickets: number; distinctIds: number }> {
  return db.tx(async (ex) => {
    const { rows } = await ex.query<{
      messages: string;
      deliveries: string;
      tickets: string;
      distinct_ids: string;
    }>(
      `SELECT (SELECT count(*) FROM messages WHERE mailbox_id = $1) AS messages,
              (SELECT count(*) FROM message_deliveries WHERE mailbox_id = $1) AS deliveries,
              (SELECT count(*) FROM tickets WHERE mailbox_id = $1) AS tickets,
              (SELECT count(DISTINCT message_id_bidx) FROM messages WHERE mailbox_id = $1) AS distinct_ids`,
      [mailboxId],
    );
    const r = rows[0]!;
    return {
      messages: Number(r.messages),
      deliveries: Number(r.deliveries),
      tickets: Number(r.tickets),
      distinctIds: Number(r.distinct_ids),
    };
  });
}

/** IMAP sessions Dovecot has open for `user` right now (doveadm who). */
export async function imapSessions(dovecot: DovecotHandle, user: string): Promise<number> {
  const { stdout } = await run('/usr/bin/doveadm', [
    '-c',
    join(dovecot.dir, 'dovecot.conf'),
    'who',
    '-1',
    user,
  ]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter((l) => l.startsWith(user) && /\bimap\b/.test(l)).length;
}

/** IMAP logins Dovecot has accepted for `user` so far (its log's "Login: user=<…>" lines). */
export async function imapLogins(dovecot: DovecotHandle, user: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const log = await readFile(join(dovecot.dir, 'dovecot.log'), 'utf8').catch(() => '');
  return log.split('\n').filter((l) => l.includes(`Login: user=<${user}>`)).length;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** APPENDs many messages over one connection (the harness opens one per APPEND). */
export async function appendMany(
  dovecot: DovecotHandle,
  u: { user: string; password: string },
  raws: Buffer[],
  folder = 'INBOX',
): Promise<void> {
  const { ImapFlow } = await import('imapflow');
  const c = new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    auth: { user: u.user, pass: u.password },
    logger: false,
  });
  c.on('error', () => undefined);
  await c.connect();
  try {
    for (const raw of raws) await c.append(folder, raw);
  } finally {
    await c.logout().catch(() => c.close());
  }
}
