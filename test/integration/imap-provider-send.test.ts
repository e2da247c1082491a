// The IMAP/SMTP provider against a real Dovecot and an SMTP sink: changes announced while watching,
// replies sent and filed in Sent, send failures classified, and TLS certificates checked.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ImapSettings } from '../../src/providers/imap/imap-settings.js';
import { isProviderError, notDelivered } from '../../src/providers/provider-errors.js';
import { type DovecotHandle, startDovecot } from '../helpers/dovecot.js';
import { startImapProviderBed } from '../helpers/imap-provider-bed.js';

const bed = await startImapProviderBed();
const { dovecot, reason, newUser, settingsFor, provider, message, expectCode } = bed;
afterAll(() => bed.close());

describe.skipIf(!dovecot)(`IMAP provider with Dovecot: watch, send, TLS${reason}`, () => {
  beforeAll(() => bed.startSink());

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
      const before = bed.sink.messages.length;
      const atTransmit: number[] = [];
      const res = await p.send(mime, {
        messageId,
        onTransmit: () => {
          atTransmit.push(bed.sink.messages.length);
          return Promise.resolve();
        },
      });
      expect(res.savedToSent).toBe(true);
      // Called once, before the server had the message (the send job commits it there).
      expect(atTransmit).toEqual([before]);

      const got = bed.sink.messages.slice(before);
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
      bed.sink.dropNextConnections(1);
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
      bed.sink.dropAfterData(1);
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
      bed.sink.failNext(451);
      const soft = await p
        .send(mime('<a@x>'), { messageId: '<a@x>', onTransmit })
        .catch((e: unknown) => e);
      expect(isProviderError(soft) && soft.kind).toBe('transient');
      expect(notDelivered(soft)).toBe(true);
      bed.sink.failNext(550);
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
      const before = bed.sink.messages.length;
      const err = await p
        .send(mime, { messageId, onTransmit: () => Promise.reject(new Error('database down')) })
        .catch((e: unknown) => e);
      expect(isProviderError(err)).toBe(true);
      // Give the sink a moment: a message, had the bytes gone out, would arrive now.
      await new Promise((r) => setTimeout(r, 300));
      expect(bed.sink.messages.length).toBe(before);
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
