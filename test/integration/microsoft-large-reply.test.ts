// A reply over 4 MB to a Microsoft 365 mailbox, through the strict fake with the real MSAL and Graph
// client: with MICROSOFT_LARGE_REPLIES it goes draft → upload session → send with our ids; without
// the scope it fails and nothing is half-sent.
import { randomUUID } from 'node:crypto';

import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { mail } from '../helpers/mail.js';
import { makeMicrosoftHarness, type MicrosoftHarness, tenantApi } from '../helpers/microsoft.js';
import { runSendJob } from '../helpers/send-job.js';

let h: MicrosoftHarness;
beforeAll(async () => {
  h = await makeMicrosoftHarness();
});
afterAll(async () => {
  await h?.close();
});

const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  tenantApi(h, method, url, payload);

describe('microsoft 365 large replies', () => {
  test('a reply over 4 MB goes draft → upload session → send with our ids (MICROSOFT_LARGE_REPLIES); without the scope it fails, never half-sent', async () => {
    const email = 'big@acme-flow.example';
    h.fake.addUser(email);
    h.runtime.client.largeReplies = true;
    const { mailboxId } = await h.connect(email);
    h.runtime.client.largeReplies = false;
    const customerId = `${randomUUID()}@client.example`;
    h.fake.deliver(
      email,
      mail({ to: email, subject: 'Send me the manual', messageId: customerId }),
    );
    expect(await h.sync(mailboxId!)).toMatchObject({ stored: 1 });
    const ticket = (
      (await api('GET', '/v1/tickets')).json().items as { id: string; subject: string }[]
    ).find((x) => x.subject === 'Send me the manual')!;
    const pdf = Buffer.alloc(5 * 1024 * 1024, 7);
    const reply = (
      await api('POST', `/v1/tickets/${ticket.id}/replies`, {
        text: 'Here it is.',
        attachments: [
          {
            filename: 'manual.pdf',
            content_type: 'application/pdf',
            content_base64: pdf.toString('base64'),
          },
        ],
      })
    ).json();
    expect(await runSendJob(h.t.container, h.tenant.id, reply.id)).toBe('sent');
    const [sent] = h.fake.sent(email);
    expect(sent!.via).toBe('draft');
    expect(sent!.attachments.map((a) => [a.name, a.via, a.size])).toEqual([
      ['manual.pdf', 'uploadSession', pdf.length],
    ]);
    expect(sent!.attachments[0]!.content.equals(pdf)).toBe(true);
    const parsed = await simpleParser(sent!.mime);
    expect(parsed.messageId).toBe(reply.message_id);
    expect(parsed.inReplyTo).toBe(`<${customerId}>`);
    expect(
      h.fake.calls().filter((c) => c.path.startsWith('/upload/')).length,
    ).toBeGreaterThanOrEqual(2);

    // A mailbox consented without Mail.ReadWrite: the large reply fails cleanly, nothing reaches Sent Items.
    const small = 'plain@acme-flow.example';
    h.fake.addUser(small);
    const plain = await h.connect(small);
    h.fake.deliver(small, mail({ to: small, subject: 'Big one please' }));
    await h.sync(plain.mailboxId!);
    const t2 = (
      (await api('GET', '/v1/tickets')).json().items as { id: string; subject: string }[]
    ).find((x) => x.subject === 'Big one please')!;
    const r2 = (
      await api('POST', `/v1/tickets/${t2.id}/replies`, {
        text: 'Attached.',
        attachments: [
          {
            filename: 'big.bin',
            content_type: 'application/octet-stream',
            content_base64: pdf.toString('base64'),
          },
        ],
      })
    ).json();
    expect(await runSendJob(h.t.container, h.tenant.id, r2.id)).toBe('failed');
    expect(h.fake.sent(small)).toHaveLength(0);
  });
});
