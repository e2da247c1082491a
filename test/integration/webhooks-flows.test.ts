// What a helpdesk's webhook receiver sees from real flows: IMAP mail through Dovecot (with a clamd
// verdict), an import, a status change, a reply sent over SMTP, a reply bounce, a disconnect and
// its purge. The receiver verifies every delivery with the official `standardwebhooks` library;
// every body matches its catalogue schema and carries no mail content; forged and replayed
// deliveries are refused by the same library.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, test, vi } from 'vitest';

import { eventSchemas, isEventType } from '../../src/events/catalogue.js';
import { importMail } from '../../src/import/import-mail.js';
import { purgeMailbox } from '../../src/mailboxes/purge.js';
import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { makeWebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { abuseReport } from '../helpers/abuse-report.js';
import { startClamd } from '../helpers/clamd.js';
import { connectBody, newImapUser } from '../helpers/imap-mailbox.js';
import { imapTestbed } from '../helpers/imap-testbed.js';
import { mail } from '../helpers/mail.js';
import { runSendJob } from '../helpers/send-job.js';
import { bearer } from '../helpers/tenants.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

const clamd = await startClamd();
const bed = await imapTestbed({
  MAILBOX_PURGE_DELAY_HOURS: '0',
  ...(clamd ? { CLAMD_PORT: String(clamd.port), CLAMD_TIMEOUT_MS: '10000' } : {}),
});
let receiver: Receiver | undefined;
afterAll(async () => {
  await receiver?.close();
  await clamd?.dispose();
});

// The recipient's provider reports the reply as spam (an ARF feedback report): reply.complained.
const arf = (rfcId: string, recipient: string, mailbox: string) =>
  Buffer.from(
    abuseReport(mailbox, `From: Support <${mailbox}>\nTo: ${recipient}\nMessage-ID: ${rfcId}`),
  );

const dsn = (rfcId: string, recipient: string, mailbox: string) =>
  Buffer.from(
    `From: Mail Delivery System <MAILER-DAEMON@mx.client.example>
To: ${mailbox}
Subject: Undelivered Mail Returned to Sender
Message-ID: <${randomUUID()}@mx.client.example>
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

Your message could not be delivered to ${recipient}.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.client.example

Final-Recipient: rfc822; ${recipient}
Action: failed
Status: 5.1.1

--r
Content-Type: text/rfc822-headers

From: Support <${mailbox}>
To: ${recipient}
Message-ID: ${rfcId}
Subject: Re: hello
--r--
`.replace(/\n/g, '\r\n'),
  );

const api = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
) =>
  bed.t.app.inject({ method, url, headers: { ...bearer(bed.tenant.token), ...headers }, payload });

describe.skipIf(!bed.dovecot || !clamd)(
  `webhooks from real flows${bed.skipReason}${clamd ? '' : ' (skipped: clamd not installed)'}`,
  () => {
    test('a loopback receiver gets every event type as the catalogue says, with no mail content; forgeries are refused', async () => {
      receiver = await startReceiver();
      const created = await api('POST', '/v1/webhook-endpoints', {
        url: receiver.url,
        description: 'helpdesk',
      });
      expect(created.statusCode).toBe(201);
      receiver.setSecret(created.json().secret);
      const c = bed.t.container;
      const dispatcher = makeWebhookDispatcher({
        db: c.db,
        keys: c.keys,
        logger: c.logger,
        policy: c.webhookPolicy,
        disableAfterMs: 86_400_000,
      });

      // IMAP mail: a customer writes, with an attachment ClamAV passes.
      const u = await newImapUser(bed.dovecot!);
      const secretWords = 'Velvet-Otter-7 invoice overdue';
      const customer = `cust-${randomUUID().slice(0, 8)}@client.example`;
      const firstId = `${randomUUID()}@client.example`;
      await bed.dovecot!.append(
        u.user,
        'INBOX',
        mail({
          from: `Cust <${customer}>`,
          to: u.user,
          messageId: firstId,
          subject: secretWords,
          text: `${secretWords} body`,
          attachments: [
            {
              filename: 'statement.txt',
              contentType: 'text/plain',
              content: Buffer.from('plain statement'),
            },
          ],
        }),
      );
      const mbox = await api('POST', '/v1/mailboxes', connectBody(bed.dovecot!, bed.sink, u));
      expect(mbox.statusCode).toBe(201);
      const mailboxId = mbox.json().id as string;
      expect(await syncMailbox(c, bed.tenant.id, mailboxId)).toMatchObject({ stored: 1 });

      // Import: an .eml answering the first message (threaded: ticket.updated with change message).
      const dir = await mkdtemp(join(tmpdir(), 'inlet-import-'));
      const file = join(dir, 'answer.eml');
      await writeFile(
        file,
        mail({
          from: `Cust <${customer}>`,
          to: u.user,
          subject: `Re: ${secretWords}`,
          inReplyTo: `<${firstId}>`,
          text: `${secretWords} again`,
        }),
      );
      expect(await importMail({ db: c.db, pipeline: c.pipeline }, file, mailboxId)).toMatchObject({
        messages: 1,
        threaded: 1,
      });
      await rm(dir, { recursive: true, force: true });

      const ticketId = ((await api('GET', '/v1/tickets')).json().items as { id: string }[])[0]!.id;
      await api('PATCH', `/v1/tickets/${ticketId}`, { status: 'pending' });

      // A reply sent over SMTP, then bounced.
      const reply = await api(
        'POST',
        `/v1/tickets/${ticketId}/replies`,
        { text: 'We are on it.' },
        { 'idempotency-key': randomUUID() },
      );
      expect(reply.statusCode).toBe(202);
      const replyId = reply.json().id as string;
      expect(await runSendJob(c, bed.tenant.id, replyId, 1, 3)).toBe('sent');
      // The customer's server returns it: a DSN arrives in the mailbox (issue #16 links it to the reply).
      await bed.dovecot!.append(
        u.user,
        'INBOX',
        dsn(reply.json().message_id as string, customer, u.user),
      );
      expect(await syncMailbox(c, bed.tenant.id, mailboxId)).toMatchObject({ stored: 1 });
      await bed.dovecot!.append(
        u.user,
        'INBOX',
        arf(reply.json().message_id as string, customer, u.user),
      );
      expect(await syncMailbox(c, bed.tenant.id, mailboxId)).toMatchObject({ stored: 1 });

      // A second reply still queued when the mailbox is disconnected: cancelled. Then the purge.
      const queued = await api(
        'POST',
        `/v1/tickets/${ticketId}/replies`,
        { text: 'One more thing.' },
        { 'idempotency-key': randomUUID() },
      );
      expect(queued.statusCode).toBe(202);
      expect((await api('DELETE', `/v1/mailboxes/${mailboxId}`)).statusCode).toBe(200);
      expect(await purgeMailbox(c.disconnectDeps, { tenantId: bed.tenant.id, mailboxId })).toBe(
        'completed',
      );

      await dispatcher.runOnce();
      const types = receiver.received.map((r) => r.event.type);
      for (const expected of [
        'mailbox.connected',
        'ticket.created',
        'message.received',
        'attachment.scanned',
        'ticket.updated',
        'reply.sent',
        'reply.bounced',
        'reply.complained',
        'reply.cancelled',
        'mailbox.disconnected',
        'mailbox.purged',
      ]) {
        expect(types, expected).toContain(expected);
      }
      expect(receiver.rejected).toBe(0);

      // Exactly the catalogue: each body validates against its type's schema.
      const ajv = new Ajv({ strict: false });
      addFormats.default(ajv);
      for (const r of receiver.received) {
        expect(isEventType(r.event.type)).toBe(true);
        const validate = ajv.compile(eventSchemas[r.event.type as keyof typeof eventSchemas]);
        expect(validate(r.event), `${r.event.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
        expect(r.body).not.toContain('Velvet-Otter');
        expect(r.body).not.toContain(u.user);
        expect(r.body).not.toContain(customer);
      }
      expect(
        receiver.received.find((r) => r.event.type === 'attachment.scanned')!.event.data,
      ).toMatchObject({ status: 'clean', ticket_id: ticketId });
      // The imported answer, the bounce and the abuse report joined the ticket; the agent changed
      // its status.
      expect(
        receiver.received
          .filter((r) => r.event.type === 'ticket.updated')
          .map((r) => r.event.data.change)
          .sort(),
      ).toEqual(['message', 'message', 'message', 'status']);
      expect(
        receiver.received.find((r) => r.event.type === 'reply.complained')!.event.data,
      ).toMatchObject({ reply_id: replyId, ticket_id: ticketId });
      expect(
        receiver.received.find((r) => r.event.type === 'reply.bounced')!.event.data,
      ).toMatchObject({ reply_id: replyId, ticket_id: ticketId, recipients: 1 });

      // The feed lists the same events, each once.
      const feed = (await api('GET', '/v1/events?limit=500')).json() as { items: { id: string }[] };
      expect(new Set(receiver.received.map((r) => r.id))).toEqual(
        new Set(feed.items.map((e) => e.id)),
      );
      expect(receiver.received).toHaveLength(feed.items.length);

      // Forged and replayed deliveries are refused by the library a receiver uses.
      const sample = receiver.received[0]!;
      const wh = new Webhook(created.json().secret);
      expect(() => wh.verify(sample.body, sample.headers)).not.toThrow();
      expect(() =>
        wh.verify(sample.body.replace('"version":1', '"version":2'), sample.headers),
      ).toThrow();
      expect(() =>
        wh.verify(sample.body, {
          ...sample.headers,
          'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
        }),
      ).toThrow();
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(
          sample.body,
          sample.headers,
        ),
      ).toThrow();
      const later = Date.now() + 10 * 60_000;
      const spy = vi.spyOn(Date, 'now').mockReturnValue(later);
      try {
        expect(() => wh.verify(sample.body, sample.headers)).toThrow(/timestamp/i);
      } finally {
        spy.mockRestore();
      }
    }, 120_000);
  },
);
