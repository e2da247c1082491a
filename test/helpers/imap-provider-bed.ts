// The IMAP provider test bed: a real Dovecot, an SMTP sink, fresh users and test mail, and the
// helpers the IMAP provider tests share (imap-provider*.test.ts). Dovecot and the sink listen on
// 127.0.0.1: allowed the way an operator would (see local-mail.ts).
import { expect } from 'vitest';

import { setEgressPolicy } from '../../src/net/egress-guard.js';
import { makeImapProvider } from '../../src/providers/imap/imap-provider.js';
import type { ImapSettings } from '../../src/providers/imap/imap-settings.js';
import type { Cursor, ListChangesResult, MailProvider } from '../../src/providers/mail-provider.js';
import { startDovecot } from './dovecot.js';
import { localMailPolicy } from './local-mail.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

/** Null when Dovecot is not installed (the tests then skip). */
export async function startImapProviderBed() {
  setEgressPolicy(localMailPolicy);
  const dovecot = await startDovecot();
  let sink: SmtpSink;
  let userSeq = 0;
  const providers: MailProvider[] = [];

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

  return {
    dovecot,
    reason: dovecot ? '' : ' (skipped: dovecot not installed)',
    /** The SMTP sink; there once startSink has run (in a beforeAll). */
    get sink() {
      return sink;
    },
    async startSink() {
      sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
      console.log(`dovecot answered ${dovecot!.startupMs} ms after spawn`);
    },
    async close() {
      await Promise.all(providers.map((p) => p.close()));
      await sink?.close();
      await dovecot?.stop();
    },
    newUser,
    settingsFor,
    provider,
    message,
    drain,
    expectCode,
  };
}
