// The IMAP/SMTP provider against a real Dovecot and an SMTP sink: what a mailbox owner would see
// (settings checked, every message listed once, exact bytes, no flags touched, replies sent and filed).
import { createServer, type Server } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import { setEgressPolicy } from '../../src/net/egress-guard.js';
import { makeImapProvider } from '../../src/providers/imap/imap-provider.js';
import type { ImapSettings } from '../../src/providers/imap/imap-settings.js';
import type {
  Cursor,
  ListChangesResult,
  MailProvider,
  RemoteMessageRef,
} from '../../src/providers/mail-provider.js';
import { isProviderError, notDelivered } from '../../src/providers/provider-errors.js';
import { type DovecotHandle, startDovecot } from '../helpers/dovecot.js';
import { localMailPolicy } from '../helpers/local-mail.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';

// Dovecot and the sink listen on 127.0.0.1: allowed the way an operator would (see local-mail.ts).
setEgressPolicy(localMailPolicy);
const dovecot = await startDovecot();
const reason = dovecot ? '' : ' (skipped: dovecot not installed)';

let sink: SmtpSink;
let userSeq = 0;
const providers: MailProvider[] = [];

afterAll(async () => {
  await Promise.all(providers.map((p) => p.close()));
  await sink?.close();
  await dovecot?.stop();
});

async function newUser(): Promise<{ user: string; password: string }> {
  const user = `user${++userSeq}@example.test`;
  const password = `pw-${userSeq}-${Math.random().toString(36).slice(2)}`;
  await dovecot!.addUser(user, password);
  return { user, password };
}

function settingsFor(
  u: { user: string; password: string },
  over: Partial<ImapSettings> = {},
): ImapSettings {
  return {
    imap: {
      host: dovecot!.host,
      port: dovecot!.port,
      secure: false,
      plaintext: true,
      auth: { user: u.user, password: u.password },
    },
    smtp: {
      host: sink.host,
      port: sink.port,
      secure: false,
      plaintext: true,
      auth: { user: 'sender', password: 'sender-pass' },
    },
    ...over,
  };
}

function provider(s: ImapSettings): MailProvider {
  const p = makeImapProvider(s, { watch: { baseDelayMs: 100, maxDelayMs: 1000 } });
  providers.push(p);
  return p;
}

let msgSeq = 0;
function message(extra = ''): { raw: Buffer; messageId: string } {
  const n = ++msgSeq;
  const messageId = `<m${n}.${Date.now()}@customer.test>`;
  const raw = Buffer.from(
    `From: Customer ${n} <c${n}@customer.test>\r\nTo: support@example.test\r\nSubject: Help ${n} \u00e9\r\n` +
      `Message-ID: ${messageId}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Transfer-Encoding: 8bit\r\n${extra}\r\nBody of message ${n}: caf\u00e9 \u2014 line\r\n`,
    'utf8',
  );
  return { raw, messageId };
}

async function drain(p: MailProvider, cursor: Cursor | null, pageSize = 2, backfill = {}) {
  const pages: ListChangesResult[] = [];
  let c = cursor;
  for (let i = 0; i < 100; i++) {
    const page = await p.listChanges(c, { backfill, pageSize });
    pages.push(page);
    c = page.nextCursor;
    if (page.done) break;
  }
  return { items: pages.flatMap((pg) => pg.items), cursor: c!, pages };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code, status: 422 });
}

describe.skipIf(!dovecot)(`IMAP provider with Dovecot${reason}`, () => {
  beforeAll(async () => {
    sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
    console.log(`dovecot answered ${dovecot!.startupMs} ms after spawn`);
  });

  describe('verify()', () => {
    it('logs in to IMAP and SMTP and returns the mailbox address', async () => {
      const u = await newUser();
      await expect(provider(settingsFor(u)).verify()).resolves.toEqual({ address: u.user });
    });

    it('reports a wrong IMAP password as imap_auth_failed', async () => {
      const u = await newUser();
      await expectCode(
        provider(settingsFor({ ...u, password: 'wrong' })).verify(),
        'imap_auth_failed',
      );
    });

    it('reports a closed port as imap_unreachable', async () => {
      const u = await newUser();
      const s = settingsFor(u);
      await expectCode(
        provider({ ...s, imap: { ...s.imap, port: await freePort() } }).verify(),
        'imap_unreachable',
      );
    });

    it('gives up on a port that accepts but never greets within about 10 s, hinting at TLS', async () => {
      const sockets = new Set<import('node:net').Socket>();
      const silent: Server = createServer((sock) => {
        sockets.add(sock);
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      const port = (silent.address() as { port: number }).port;
      const u = await newUser();
      const s = settingsFor(u);
      const started = Date.now();
      try {
        await expectCode(provider({ ...s, imap: { ...s.imap, port } }).verify(), 'imap_tls_failed');
        expect(Date.now() - started).toBeLessThan(11_000);
      } finally {
        for (const sock of sockets) sock.destroy();
        silent.close();
      }
    }, 20_000);

    it('reports TLS spoken to a plain-text port as imap_tls_failed', async () => {
      const u = await newUser();
      const s = settingsFor(u);
      await expectCode(
        provider({ ...s, imap: { ...s.imap, secure: true } }).verify(),
        'imap_tls_failed',
      );
    });

    it('reports a folder that does not exist as imap_folder_missing', async () => {
      const u = await newUser();
      await expectCode(
        provider(settingsFor(u, { folder: 'Support/Nope' })).verify(),
        'imap_folder_missing',
      );
    });

    it('reports a wrong SMTP password as smtp_auth_failed', async () => {
      const u = await newUser();
      const s = settingsFor(u);
      await expectCode(
        provider({
          ...s,
          smtp: { ...s.smtp, auth: { user: 'sender', password: 'nope' } },
        }).verify(),
        'smtp_auth_failed',
      );
    });

    it('reports a closed SMTP port as smtp_unreachable', async () => {
      const u = await newUser();
      const s = settingsFor(u);
      await expectCode(
        provider({ ...s, smtp: { ...s.smtp, port: await freePort() } }).verify(),
        'smtp_unreachable',
      );
    });
  });

  describe('listChanges() / fetchRaw()', () => {
    it('backfills every message once, oldest first, with a cursor per item, and returns exact bytes', async () => {
      const u = await newUser();
      const sent = [message(), message(), message(), message(), message()];
      for (const m of sent) await dovecot!.append(u.user, 'INBOX', m.raw);
      const p = provider(settingsFor(u));

      const { items, pages } = await drain(p, null, 2);
      expect(items.map((i) => i.rfcMessageId)).toEqual(sent.map((m) => m.messageId));
      expect(new Set(items.map((i) => i.providerMessageId)).size).toBe(5);
      expect(pages.at(-1)!.done).toBe(true);
      expect(pages[0]!.progress).toEqual({ done: 2, total: 5 });
      for (const [i, item] of items.entries()) {
        expect((await p.fetchRaw(item))!.equals(sent[i]!.raw)).toBe(true);
      }

      // Resuming from the cursor stored with the third message lists only the two after it.
      const resumed = await drain(p, items[2]!.cursorAfter, 10);
      expect(resumed.items.map((i) => i.rfcMessageId)).toEqual(
        sent.slice(3).map((m) => m.messageId),
      );

      // Listing and fetching changed nothing in the mailbox: no \Seen, nothing removed.
      const after = await dovecot!.list(u.user, 'INBOX');
      expect(after).toHaveLength(5);
      expect(after.every((m) => !m.flags.includes('\\Seen'))).toBe(true);
    });

    it('limits the backfill by age and by count', async () => {
      const u = await newUser();
      const old = message();
      await dovecot!.append(u.user, 'INBOX', old.raw, [], new Date(Date.now() - 40 * 86_400_000));
      const recent = [message(), message(), message()];
      for (const m of recent) await dovecot!.append(u.user, 'INBOX', m.raw);
      const p = provider(settingsFor(u));

      const byAge = await drain(p, null, 10, { days: 30 });
      expect(byAge.items.map((i) => i.rfcMessageId)).toEqual(recent.map((m) => m.messageId));
      const byCount = await drain(p, null, 10, { maxMessages: 2 });
      expect(byCount.items.map((i) => i.rfcMessageId)).toEqual(
        recent.slice(1).map((m) => m.messageId),
      );

      // Mail arriving after the backfill is listed next, and the old message never is.
      const fresh = message();
      await dovecot!.append(u.user, 'INBOX', fresh.raw);
      const next = await drain(p, byAge.cursor, 10);
      expect(next.items.map((i) => i.rfcMessageId)).toEqual([fresh.messageId]);
    });

    it('lists only new messages incrementally, and nothing when nothing arrived', async () => {
      const u = await newUser();
      await dovecot!.append(u.user, 'INBOX', message().raw);
      const p = provider(settingsFor(u));
      const first = await drain(p, null);
      expect(first.items).toHaveLength(1);

      const empty = await p.listChanges(first.cursor, { backfill: {}, pageSize: 10 });
      expect(empty.items).toEqual([]);
      expect(empty.done).toBe(true);

      const later = [message(), message(), message()];
      for (const m of later) await dovecot!.append(u.user, 'INBOX', m.raw);
      const next = await drain(p, empty.nextCursor, 2);
      expect(next.items.map((i) => i.rfcMessageId)).toEqual(later.map((m) => m.messageId));
      expect(next.pages.every((pg) => pg.resync === undefined)).toBe(true);
    });

    it('flags a UIDVALIDITY change and starts over with ids under the new validity', async () => {
      const u = await newUser();
      const msgs = [message(), message()];
      for (const m of msgs) await dovecot!.append(u.user, 'INBOX', m.raw);
      const p = provider(settingsFor(u));
      const first = await drain(p, null, 10);
      const before = first.items[0]!;

      const newValidity = await dovecot!.resetUidValidity(u.user, 'INBOX');
      const page = await p.listChanges(first.cursor, { backfill: { days: 30 }, pageSize: 10 });
      expect(page.resync).toBe('uidvalidity_changed');
      expect(page.items.map((i) => i.rfcMessageId)).toEqual(msgs.map((m) => m.messageId));
      expect(page.items.every((i) => i.providerMessageId.startsWith(`${newValidity}:`))).toBe(true);
      // An id from before the change is stale; fetching it asks for a resync instead of guessing.
      const stale = await p.fetchRaw(before).catch((e: unknown) => e);
      expect(isProviderError(stale) && stale.kind).toBe('cursor_expired');
    });

    it('returns null for a message that was removed after listing', async () => {
      const u = await newUser();
      await dovecot!.append(u.user, 'INBOX', message().raw);
      const p = provider(settingsFor(u));
      const { items } = await drain(p, null);
      const ref: RemoteMessageRef = {
        ...items[0]!,
        providerMessageId: items[0]!.providerMessageId.replace(/:\d+$/, ':999'),
      };
      await expect(p.fetchRaw(ref)).resolves.toBeNull();
    });

    it('sets \\Seen only when markSeen is on', async () => {
      const u = await newUser();
      await dovecot!.append(u.user, 'INBOX', message().raw);
      const p = provider(settingsFor(u, { markSeen: true }));
      const { items } = await drain(p, null);
      await p.fetchRaw(items[0]!);
      const [m] = await dovecot!.list(u.user, 'INBOX');
      expect(m!.flags).toContain('\\Seen');
    });
  });

  describe('watch()', () => {
    it('announces an APPEND quickly, and catches up after the connection is dropped', async () => {
      const u = await newUser();
      const p = provider(settingsFor(u));
      const ac = new AbortController();
      const calls: number[] = [];
      let wake: (() => void) | null = null;
      const next = (ms: number) =>
        new Promise<boolean>((resolve) => {
          const t = setTimeout(() => {
            wake = null;
            resolve(false);
          }, ms);
          wake = () => {
            clearTimeout(t);
            wake = null;
            resolve(true);
          };
        });
      const watching = p.watch!(() => {
        calls.push(Date.now());
        wake?.();
      }, ac.signal);
      try {
        expect(calls.length > 0 || (await next(5000))).toBe(true); // catch-up call on connect
        await new Promise((r) => setTimeout(r, 300)); // let IDLE start
        const start = Date.now();
        const arrived = next(5000);
        const appended = dovecot!.append(u.user, 'INBOX', message().raw).then(() => Date.now());
        expect(await arrived).toBe(true);
        const latency = calls.at(-1)! - start;
        console.log(
          `IDLE: onChange ${latency} ms after a second client started connect+login+APPEND (which took ${(await appended) - start} ms)`,
        );
        expect(latency).toBeLessThan(2000);

        // Server drops the session: watch reconnects and calls onChange again to catch up.
        const reconnected = next(5000);
        await dovecot!.kick(u.user);
        expect(await reconnected).toBe(true);
      } finally {
        ac.abort();
        await watching;
      }
    });

    it('stops with auth_revoked when the password no longer works', async () => {
      const u = await newUser();
      const p = provider(settingsFor({ ...u, password: 'changed-elsewhere' }));
      const err = await p.watch!(() => undefined, new AbortController().signal).catch(
        (e: unknown) => e,
      );
      expect(isProviderError(err) && err.kind).toBe('auth_revoked');
    });
  });

  describe('send() / findSentByMessageId()', () => {
    it('delivers through SMTP to To, Cc and Bcc, hides Bcc, and files the copy in Sent', async () => {
      const u = await newUser();
      const p = provider(settingsFor(u));
      const messageId = `<reply.${Date.now()}@inlet.test>`;
      const mime = Buffer.from(
        `From: Support <${u.user}>\r\nTo: Customer <c1@customer.test>\r\nCc: boss@customer.test\r\nBcc: audit@example.test\r\n` +
          `Subject: Re: Help\r\nMessage-ID: ${messageId}\r\nIn-Reply-To: <m1@customer.test>\r\n\r\nThanks!\r\n`,
      );
      const before = sink.messages.length;
      const atTransmit: number[] = [];
      const res = await p.send(mime, {
        messageId,
        onTransmit: () => {
          atTransmit.push(sink.messages.length);
          return Promise.resolve();
        },
      });
      expect(res.savedToSent).toBe(true);
      // Called once, before the server had the message (the send job commits it there).
      expect(atTransmit).toEqual([before]);

      const got = sink.messages.slice(before);
      expect(got).toHaveLength(1);
      expect(got[0]!.envelope.mailFrom).toBe(u.user);
      expect(got[0]!.envelope.rcptTo.sort()).toEqual([
        'audit@example.test',
        'boss@customer.test',
        'c1@customer.test',
      ]);
      expect(got[0]!.raw.toString()).toContain(`Message-ID: ${messageId}`);
      expect(got[0]!.raw.toString()).not.toMatch(/^Bcc:/im);

      const sentFolder = await dovecot!.list(u.user, 'Sent');
      expect(sentFolder).toHaveLength(1);
      expect(sentFolder[0]!.raw.equals(mime)).toBe(true);
      expect(sentFolder[0]!.flags).toContain('\\Seen');

      await expect(p.findSentByMessageId(messageId)).resolves.toBe(true);
      await expect(p.findSentByMessageId(messageId.replace('reply', 'other'))).resolves.toBe(false);
      // A prefix of a real id must not count as a match.
      await expect(p.findSentByMessageId(messageId.slice(0, -6) + '>')).resolves.toBe(false);
    });

    it('a connection dropped before the message: transient, nothing sent, provably not delivered', async () => {
      const u = await newUser();
      const p = provider(settingsFor(u));
      const messageId = `<drop.${Date.now()}@inlet.test>`;
      const mime = Buffer.from(
        `From: ${u.user}\r\nTo: c@customer.test\r\nMessage-ID: ${messageId}\r\n\r\n${'x'.repeat(200_000)}\r\n`,
      );
      sink.dropNextConnections(1);
      let transmitted = false;
      const onTransmit = () => {
        transmitted = true;
        return Promise.resolve();
      };
      const err = await p.send(mime, { messageId, onTransmit }).catch((e: unknown) => e);
      expect(isProviderError(err) && err.kind).toBe('transient');
      expect(transmitted).toBe(false);
      expect(notDelivered(err)).toBe(true);
      await expect(p.findSentByMessageId(messageId)).resolves.toBe(false);
      expect(await dovecot!.list(u.user, 'Sent')).toHaveLength(0);
    });

    it('a connection dropped after the whole message: transient, outcome unknown', async () => {
      const u = await newUser();
      const p = provider(settingsFor(u));
      const messageId = `<late.${Date.now()}@inlet.test>`;
      const mime = Buffer.from(
        `From: ${u.user}\r\nTo: c@customer.test\r\nMessage-ID: ${messageId}\r\n\r\nhi\r\n`,
      );
      sink.dropAfterData(1);
      let transmitted = false;
      const onTransmit = () => {
        transmitted = true;
        return Promise.resolve();
      };
      const err = await p.send(mime, { messageId, onTransmit }).catch((e: unknown) => e);
      expect(isProviderError(err) && err.kind).toBe('transient');
      expect(transmitted).toBe(true);
      // The server received it (a real one may have queued it): nothing proves it was not delivered.
      expect(notDelivered(err)).toBe(false);
    });

    it('classifies SMTP 451 as transient and 550 as permanent', async () => {
      const u = await newUser();
      const p = provider(settingsFor(u));
      const mime = (id: string) =>
        Buffer.from(`From: ${u.user}\r\nTo: c@customer.test\r\nMessage-ID: ${id}\r\n\r\nhi\r\n`);
      const onTransmit = () => Promise.resolve();
      sink.failNext(451);
      const soft = await p
        .send(mime('<a@x>'), { messageId: '<a@x>', onTransmit })
        .catch((e: unknown) => e);
      expect(isProviderError(soft) && soft.kind).toBe('transient');
      expect(notDelivered(soft)).toBe(true);
      sink.failNext(550);
      const hard = await p
        .send(mime('<b@x>'), { messageId: '<b@x>', onTransmit })
        .catch((e: unknown) => e);
      expect(isProviderError(hard) && hard.kind).toBe('permanent');
      expect(notDelivered(hard)).toBe(true);
    });

    it('sends nothing when the transmission cannot be recorded first', async () => {
      const u = await newUser();
      const p = provider(settingsFor(u));
      const messageId = `<gate.${Date.now()}@inlet.test>`;
      const mime = Buffer.from(
        `From: ${u.user}\r\nTo: c@customer.test\r\nMessage-ID: ${messageId}\r\n\r\nhi\r\n`,
      );
      const before = sink.messages.length;
      const err = await p
        .send(mime, { messageId, onTransmit: () => Promise.reject(new Error('database down')) })
        .catch((e: unknown) => e);
      expect(isProviderError(err)).toBe(true);
      // Give the sink a moment: a message, had the bytes gone out, would arrive now.
      await new Promise((r) => setTimeout(r, 300));
      expect(sink.messages.length).toBe(before);
      expect(await dovecot!.list(u.user, 'Sent')).toHaveLength(0);
    });
  });

  describe('TLS', () => {
    let tlsDovecot: DovecotHandle | null = null;
    beforeAll(async () => {
      tlsDovecot = await startDovecot({ tls: true });
    });
    afterAll(async () => {
      await tlsDovecot?.stop();
    });

    it('refuses an untrusted self-signed certificate and accepts it once its CA is given', async () => {
      const d = tlsDovecot!;
      expect(d.port).not.toBe(dovecot!.port); // a second, independent harness
      await d.addUser('tls@example.test', 'tls-pass');
      const base = settingsFor({ user: 'tls@example.test', password: 'tls-pass' });
      const s: ImapSettings = {
        ...base,
        imap: { ...base.imap, host: '127.0.0.1', port: d.tlsPort!, secure: true },
      };
      await expectCode(provider(s).verify(), 'imap_tls_failed');
      await expect(provider({ ...s, caPem: d.certPem }).verify()).resolves.toEqual({
        address: 'tls@example.test',
      });
    });
  });
});
