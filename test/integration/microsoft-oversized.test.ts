// A Microsoft 365 message far over INGEST_MAX_MESSAGE_BYTES is not downloaded (its $value stream is
// cancelled past the limit), yet the agent learns that the customer wrote: its internet headers
// ($select=internetMessageHeaders) make a stub on the ticket it answers. Listed again by a second
// sync, it makes no second stub.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { mail } from '../helpers/mail.js';
import { makeMicrosoftHarness, type MicrosoftHarness } from '../helpers/microsoft.js';
import { bearer } from '../helpers/tenants.js';

let h: MicrosoftHarness;
beforeAll(async () => {
  h = await makeMicrosoftHarness({}, { INGEST_MAX_MESSAGE_BYTES: String(64 * 1024) });
});
afterAll(async () => {
  await h?.close();
});

interface MessageView {
  headers: { from: { address: string } | null; subject: string; oversize?: { bytes: number } };
  text: string | null;
  warnings: string[];
  attachments: unknown[];
}

describe('a Microsoft 365 message over the size limit', () => {
  test('leaves a stub of its headers on the ticket it answers, once', async () => {
    const email = 'big@acme-big.example';
    h.fake.addUser(email);
    const id = (await h.connect(email)).mailboxId!;
    expect(await h.sync(id)).toMatchObject({ status: 'synced' });
    const first = `<${randomUUID()}@client.example>`;
    h.fake.deliver(
      email,
      mail({
        from: 'noor@client.example',
        to: email,
        subject: 'Printer offline',
        messageId: first,
      }),
    );
    const big = mail({
      from: 'Noor Haddad <noor@client.example>',
      to: email,
      subject: 'Re: Printer offline',
      inReplyTo: first,
      references: first,
      attachments: [
        { filename: 'scan.pdf', contentType: 'application/pdf', content: Buffer.alloc(300_000, 7) },
      ],
    });
    const delivered = h.fake.deliver(email, big);
    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 1, parked: 1 });

    // Not downloaded: nothing of it is kept but the stub.
    expect(
      await h.owner(
        `SELECT error_code, raw_ct IS NULL AS no_raw FROM ingest_failures WHERE provider_message_id = $1`,
        [delivered.id],
      ),
    ).toEqual([{ error_code: 'message_too_large', no_raw: true }]);
    const [event] = await h.owner<{ data: { ticket_id: string } }>(
      `SELECT data FROM events WHERE type = 'message.parked' AND resource_id = $1`,
      [id],
    );
    const res = await h.t.app.inject({
      method: 'GET',
      url: `/v1/tickets/${event!.data.ticket_id}`,
      headers: bearer(h.tenant.token),
    });
    const messages = (res.json() as { messages: MessageView[] }).messages;
    expect(messages.map((m) => m.headers.subject)).toEqual([
      'Printer offline',
      'Re: Printer offline',
    ]);
    expect(messages[1]).toMatchObject({
      headers: { from: { address: 'noor@client.example' } },
      attachments: [],
    });
    expect(messages[1]!.text ?? '').toBe('');
    expect(messages[1]!.warnings).toContain('message_too_large');

    expect(await h.sync(id)).toMatchObject({ status: 'synced', stored: 0, parked: 0 });
    expect(
      await h.owner(`SELECT 1 FROM events WHERE type = 'message.parked' AND resource_id = $1`, [
        id,
      ]),
    ).toHaveLength(1);
  });
});
