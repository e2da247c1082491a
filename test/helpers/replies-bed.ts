// The replies test bed: a real Dovecot and SMTP sink, an ingest fixture, IMAP mailboxes with one
// customer ticket each, and the helpers the replies tests share (replies*.test.ts).
import { randomUUID } from 'node:crypto';

import { emailBlindIndex, generateDataKey, mailboxAad, seal } from '../../src/crypto/index.js';
import type { SendOutcome } from '../../src/outbound/send-reply.js';
import { sealCredentials } from '../../src/providers/open-mailbox.js';
import { insertMailbox } from '../../src/store/mailbox-store.js';
import { startDovecot } from './dovecot.js';
import { type IngestFixture, makeIngestFixture } from './ingest.js';
import { localMailEnv } from './local-mail.js';
import { mail } from './mail.js';
import { runSendJob } from './send-job.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

/** `dovecot` is null when Dovecot is not installed (the tests then skip). */
export async function startRepliesBed() {
  const dovecot = await startDovecot();
  let f: IngestFixture;
  let sink: SmtpSink;
  let seq = 0;

  /** An IMAP mailbox (own Dovecot user) with one customer ticket in it. */
  async function mailboxWithTicket(subject = 'Printer on fire') {
    const n = ++seq;
    const user = `support${n}@acme${n}.example`;
    const password = `pw-${randomUUID()}`;
    await dovecot!.addUser(user, password);
    const tenantId = f.tenant.id;
    const { db, keys } = f.t.container;
    const mailboxId = randomUUID();
    await db.tenantTx(tenantId, async (ex) => {
      const dek = generateDataKey();
      await insertMailbox(ex, {
        id: mailboxId,
        tenantId,
        provider: 'imap',
        addressCt: seal(dek, user, mailboxAad('mailboxes.address', tenantId, mailboxId)),
        addressBidx: emailBlindIndex((await keys.tenantKey(ex, tenantId, 'index')).key, user),
        displayNameCt: seal(
          dek,
          'Acme Support',
          mailboxAad('mailboxes.display_name', tenantId, mailboxId),
        ),
        credentialsCt: sealCredentials(dek, tenantId, mailboxId, {
          imap: {
            host: dovecot!.host,
            port: dovecot!.port,
            secure: false,
            plaintext: true,
            auth: { user, password },
          },
          smtp: {
            host: sink.host,
            port: sink.port,
            secure: false,
            plaintext: true,
            auth: { user: 'sender', password: 'sender-pass' },
          },
        }),
      });
      await keys.createMailboxKey(ex, tenantId, mailboxId, dek);
    });
    const customerId = `${randomUUID()}@client.example`;
    const out = await f.ingest(
      mail({ messageId: customerId, to: user, subject, references: '<root@client.example>' }),
      { mailboxId },
    );
    if (out.status !== 'stored') throw new Error(`ingest: ${out.status}`);
    return { user, mailboxId, ticketId: out.ticketId, ticketNumber: out.ticketNumber, customerId };
  }

  const post = (
    ticketId: string,
    body: unknown,
    key: string | null = randomUUID(),
    token = f.tenant.token,
  ) =>
    f.t.app.inject({
      method: 'POST',
      url: `/v1/tickets/${ticketId}/replies`,
      payload: body as never,
      headers: {
        authorization: `Bearer ${token}`,
        ...(key === null ? {} : { 'idempotency-key': key }),
      },
    });

  const owner = async <T extends object>(sql: string, params: unknown[]): Promise<T[]> =>
    (await f.t.container.db.tx((ex) => ex.query<T>(sql, params))).rows;
  const outboxOf = async (messageId: string) =>
    (
      await owner<{
        id: string;
        state: string;
        attempts: number;
        last_error_class: string | null;
        failure_reason: string | null;
      }>(
        'SELECT id, state, attempts, last_error_class, failure_reason FROM outbox WHERE message_id = $1',
        [messageId],
      )
    )[0]!;
  const runJob = (messageId: string, attempt = 1, maxAttempts = 10): Promise<SendOutcome> =>
    runSendJob(f.t.container, f.tenant.id, messageId, attempt, maxAttempts);
  const delivered = (messageId: string) =>
    sink.messages.filter((m) => m.raw.toString('latin1').includes(messageId));
  const counts = async () =>
    (
      await owner<{ outbox: number; outbound: number }>(
        `SELECT (SELECT count(*)::int FROM outbox) AS outbox, (SELECT count(*)::int FROM messages WHERE direction = 'outbound') AS outbound`,
        [],
      )
    )[0]!;

  return {
    dovecot,
    /** The ingest fixture; there once start has run (in a beforeAll). */
    get f() {
      return f;
    },
    get sink() {
      return sink;
    },
    async start() {
      if (!dovecot) return;
      f = await makeIngestFixture({ ...localMailEnv });
      sink = await startSmtpSink();
    },
    async close() {
      await f?.t.close();
      await sink?.close();
      await dovecot?.stop();
    },
    mailboxWithTicket,
    post,
    owner,
    outboxOf,
    runJob,
    delivered,
    counts,
  };
}
