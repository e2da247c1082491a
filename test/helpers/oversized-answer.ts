// An answer far over a 64 KiB INGEST_MAX_MESSAGE_BYTES to a message already on a ticket, delivered
// through a provider fake (Gmail, Microsoft 365) and synced, and what the agent then sees: the
// first message and, on its ticket, a stub of the answer's headers with no body. Each provider's
// test adds what only it can tell (a size, a resync of its own kind).
import { randomUUID } from 'node:crypto';

import { expect } from 'vitest';

import type { SyncResult } from '../../src/sync/sync-mailbox.js';
import type { TestApp } from './app.js';
import { mail } from './mail.js';
import { bearer } from './tenants.js';

export interface SyncedMailbox {
  t: TestApp;
  tenant: { token: string };
  sync(mailboxId: string): Promise<SyncResult>;
  owner<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface StubView {
  headers: { from: { address: string } | null; subject: string; oversize?: { bytes: number } };
  text: string | null;
  warnings: string[];
  attachments: unknown[];
}

/** message.parked events of a mailbox. */
export const parkedEvents = (h: SyncedMailbox, mailboxId: string) =>
  h.owner<{ data: { size?: number; ticket_id: string } }>(
    `SELECT data FROM events WHERE type = 'message.parked' AND resource_id = $1 ORDER BY id`,
    [mailboxId],
  );

export async function syncOversizedAnswer(
  h: SyncedMailbox,
  mailboxId: string,
  address: string,
  deliver: (raw: Buffer) => { id: string },
): Promise<{ big: Buffer; ticketId: string; stub: StubView }> {
  const first = `<${randomUUID()}@client.example>`;
  deliver(
    mail({
      from: 'noor@client.example',
      to: address,
      subject: 'Printer offline',
      messageId: first,
    }),
  );
  const big = mail({
    from: 'Noor Haddad <noor@client.example>',
    to: address,
    subject: 'Re: Printer offline',
    inReplyTo: first,
    references: first,
    attachments: [
      { filename: 'scan.pdf', contentType: 'application/pdf', content: Buffer.alloc(300_000, 7) },
    ],
  });
  const delivered = deliver(big);
  expect(await h.sync(mailboxId)).toMatchObject({ status: 'synced', stored: 1, parked: 1 });

  // Not downloaded: nothing of it is kept but the stub.
  expect(
    await h.owner(
      `SELECT error_code, raw_ct IS NULL AS no_raw FROM ingest_failures WHERE provider_message_id = $1`,
      [delivered.id],
    ),
  ).toEqual([{ error_code: 'message_too_large', no_raw: true }]);
  const [event] = await parkedEvents(h, mailboxId);
  const res = await h.t.app.inject({
    method: 'GET',
    url: `/v1/tickets/${event!.data.ticket_id}`,
    headers: bearer(h.tenant.token),
  });
  const messages = (res.json() as { messages: StubView[] }).messages;
  expect(messages.map((m) => m.headers.subject)).toEqual([
    'Printer offline',
    'Re: Printer offline',
  ]);
  const stub = messages[1]!;
  expect(stub).toMatchObject({
    headers: { from: { address: 'noor@client.example' } },
    attachments: [],
  });
  expect(stub.text ?? '').toBe('');
  expect(stub.warnings).toContain('message_too_large');
  return { big, ticketId: event!.data.ticket_id, stub };
}
