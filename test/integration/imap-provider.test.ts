// The IMAP/SMTP provider against a real Dovecot and an SMTP sink: what a mailbox owner would see
// (settings checked, every message listed once, exact bytes, no flags touched). Watching, sending
// and TLS are in imap-provider-send.test.ts.
import { createServer, type Server } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import type { RemoteMessageRef } from '../../src/providers/mail-provider.js';
import { isProviderError } from '../../src/providers/provider-errors.js';
import { startImapProviderBed } from '../helpers/imap-provider-bed.js';

const bed = await startImapProviderBed();
const { dovecot, reason, newUser, settingsFor, provider, message, drain, expectCode } = bed;
afterAll(() => bed.close());

describe.skipIf(!dovecot)(`IMAP provider with Dovecot${reason}`, () => {
  beforeAll(() => bed.startSink());

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
        expect((await p.fetchRaw(item)) as Buffer).toEqual(sent[i]!.raw);
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
});
