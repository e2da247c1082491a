// Shared by the IMAP sync tests and the bench: a Dovecot user, messages to APPEND, the connect
// request body, and counts read straight from the database (as the owner, past RLS).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { Db } from '../../src/store/db.js';
import type { DovecotHandle } from './dovecot.js';
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
