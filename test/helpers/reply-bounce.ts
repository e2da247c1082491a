// A sending mailbox and a delivered agent reply on a customer ticket, for tests of what mail that
// answers a reply (bounces, delay warnings, complaints) does to it.
import { randomUUID } from 'node:crypto';

import { expect } from 'vitest';

import { emailBlindIndex, generateDataKey, mailboxAad, seal } from '../../src/crypto/index.js';
import { sealCredentials } from '../../src/providers/open-mailbox.js';
import { insertMailbox } from '../../src/store/mailbox-store.js';
import type { IngestFixture } from './ingest.js';
import { mail } from './mail.js';

/** A mailbox that can send (IMAP/SMTP credentials); its send job never runs in these tests. */
export async function addSendingMailbox(f: IngestFixture): Promise<string> {
  // A mailbox that can send (IMAP/SMTP credentials); the send job never runs here: the test
  // records the sent state the way the job does.
  const mailboxId = randomUUID();
  const tenantId = f.tenant.id;
  const { db, keys } = f.t.container;
  await db.tenantTx(tenantId, async (ex) => {
    const dek = generateDataKey();
    const a = (field: 'address' | 'display_name') =>
      mailboxAad(`mailboxes.${field}`, tenantId, mailboxId);
    await insertMailbox(ex, {
      id: mailboxId,
      tenantId,
      provider: 'imap',
      addressCt: seal(dek, 'help@acme.example', a('address')),
      addressBidx: emailBlindIndex(
        (await keys.tenantKey(ex, tenantId, 'index')).key,
        'help@acme.example',
      ),
      displayNameCt: seal(dek, 'Acme Help', a('display_name')),
      credentialsCt: sealCredentials(dek, tenantId, mailboxId, {
        imap: { host: '127.0.0.1', port: 1, secure: false, auth: { user: 'u', password: 'p' } },
        smtp: { host: '127.0.0.1', port: 1, secure: false, auth: { user: 'u', password: 'p' } },
      }),
    });
    await keys.createMailboxKey(ex, tenantId, mailboxId, dek);
  });
  return mailboxId;
}

export const ownerRows = async <T extends object>(
  f: IngestFixture,
  sql: string,
  params: unknown[],
): Promise<T[]> => (await f.t.container.db.tx((ex) => ex.query<T>(sql, params))).rows;

/** A customer ticket and an agent reply on it that the send job has delivered. */
export async function sentReplyOn(
  f: IngestFixture,
  mailboxId: string,
): Promise<{ ticketId: string; replyId: string; rfcId: string }> {
  const out = await f.ingest(
    mail({
      from: 'Pat <pat@client.example>',
      to: 'help@acme.example',
      subject: 'Printer on fire',
      text: 'Help!',
    }),
    { mailboxId },
  );
  if (out.status !== 'stored') throw new Error(out.status);
  const res = await f.t.app.inject({
    method: 'POST',
    url: `/v1/tickets/${out.ticketId}/replies`,
    payload: { text: 'We are on it.' },
    headers: { authorization: `Bearer ${f.tenant.token}`, 'idempotency-key': randomUUID() },
  });
  expect(res.statusCode, res.body).toBe(202);
  const body = res.json<{ id: string; message_id: string }>();
  // What the send job records once the provider took the mail (outbox-store markSent).
  const [row] = await ownerRows<{ message_id: string }>(
    f,
    `UPDATE outbox SET state = 'sent', sent_at = now() WHERE message_id = $1 RETURNING message_id`,
    [body.id],
  );
  return { ticketId: out.ticketId, replyId: row!.message_id, rfcId: body.message_id };
}

export type View = {
  messages: {
    id: string;
    kind: string;
    direction: string;
    bounce: unknown;
    reply_state: string | null;
  }[];
};
