// A message an IMAP server lists as over INGEST_MAX_MESSAGE_BYTES is never downloaded, yet the agent
// learns that the customer wrote: a header-only FETCH (BODY.PEEK[HEADER], capped) makes a stub with
// its sender, subject and size, no body, on the ticket it would have joined. A header block that is
// itself hostile (endless folded lines, no header at all) is cut or replaced by what the listing
// knew; the sync goes on and a second sync makes no second stub.
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { connectBody, newImapUser } from '../helpers/imap-mailbox.js';
import { imapTestbed, postMailbox } from '../helpers/imap-testbed.js';
import { bearer } from '../helpers/tenants.js';

const limit = 64 * 1024;
const bed = await imapTestbed({ INGEST_MAX_MESSAGE_BYTES: String(limit) });
const { dovecot } = bed;

interface MessageView {
  headers: {
    from: { address: string } | null;
    subject: string;
    message_id: string | null;
    oversize?: { bytes: number };
  };
  text: string | null;
  html: string | null;
  warnings: string[];
  attachments: unknown[];
}

const padding = Buffer.from(`${'x'.repeat(998)}\r\n`.repeat(200));
function letter(head: string, body = 'Hello.\r\n'): Buffer {
  return Buffer.from(`${head.replace(/\n/g, '\r\n')}\r\n${body}`, 'latin1');
}
const huge = (head: string) => Buffer.concat([letter(head, 'The scan follows.\r\n'), padding]);

async function connect(): Promise<{ user: string; id: string }> {
  const u = await newImapUser(dovecot!);
  const res = await postMailbox(bed, connectBody(dovecot!, bed.sink, u));
  expect(res.statusCode).toBe(201);
  return { user: u.user, id: res.json().id as string };
}

async function ticketOf(messageId: string): Promise<{ id: string; messages: MessageView[] }> {
  const row = await bed.t.database.db.tx((ex) =>
    ex.query<{ ticket_id: string }>('SELECT ticket_id FROM messages WHERE id = $1', [messageId]),
  );
  const res = await bed.t.app.inject({
    method: 'GET',
    url: `/v1/tickets/${row.rows[0]!.ticket_id}`,
    headers: bearer(bed.tenant.token),
  });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** The message.parked events of a mailbox, oldest first. */
async function parkedEvents(mailboxId: string) {
  const res = await bed.t.database.db.tx((ex) =>
    ex.query<{ data: { reason: string; size?: number; message_id?: string } }>(
      `SELECT data FROM events WHERE type = 'message.parked' AND resource_id = $1 ORDER BY id`,
      [mailboxId],
    ),
  );
  return res.rows.map((r) => r.data);
}

describe.skipIf(!dovecot)(`IMAP message listed over the size limit${bed.skipReason}`, () => {
  it('leaves a stub of its headers on the ticket it answers, and a second sync makes no other', async () => {
    const { user, id } = await connect();
    const first = `<${randomUUID()}@client.example>`;
    await dovecot!.append(
      user,
      'INBOX',
      letter(
        `From: Noor Haddad <noor@client.example>\nTo: support@example.test\nSubject: Printer offline\nMessage-ID: ${first}\n`,
      ),
    );
    const bigRaw = huge(
      `From: Noor Haddad <noor@client.example>\nTo: support@example.test\nSubject: Re: Printer offline\n` +
        `Message-ID: <${randomUUID()}@client.example>\nIn-Reply-To: ${first}\nReferences: ${first}\n` +
        `MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n`,
    );
    await dovecot!.append(user, 'INBOX', bigRaw);
    expect(await syncMailbox(bed.t.container, bed.tenant.id, id)).toMatchObject({
      status: 'synced',
      stored: 1,
      parked: 1,
    });
    const [event] = await parkedEvents(id);
    expect(event).toMatchObject({ reason: 'message_too_large', size: bigRaw.length });
    const ticket = await ticketOf(event!.message_id!);
    expect(ticket.messages.map((m) => m.headers.subject)).toEqual([
      'Printer offline',
      'Re: Printer offline',
    ]);
    const stub = ticket.messages[1]!;
    expect(stub).toMatchObject({
      headers: { from: { address: 'noor@client.example' }, oversize: { bytes: bigRaw.length } },
      attachments: [],
      html: null,
    });
    expect(stub.text ?? '').toBe('');
    expect(stub.warnings).toContain('message_too_large');

    // Listed again (a resync, a second run): no second stub, no second parking.
    expect(await syncMailbox(bed.t.container, bed.tenant.id, id)).toMatchObject({
      stored: 0,
      parked: 0,
    });
    expect((await ticketOf(event!.message_id!)).messages).toHaveLength(2);
    expect(await parkedEvents(id)).toHaveLength(1);
  });

  it('cuts a header block of endless folded lines, takes the listing for one with no header, and stores the mail after them', async () => {
    const { user, id } = await connect();
    const folded = huge(
      `From: Lena Berg <lena@client.example>\nSubject: Scans\n${' and more scans\n'.repeat(20_000)}` +
        `X-Tail: never reached\n`,
    );
    const headless = Buffer.concat([Buffer.from('\r\nno header here\r\n'), padding]);
    const after = letter('From: Lena Berg <lena@client.example>\nSubject: Small one\n');
    for (const raw of [folded, headless, after]) await dovecot!.append(user, 'INBOX', raw);
    expect(await syncMailbox(bed.t.container, bed.tenant.id, id)).toMatchObject({
      status: 'synced',
      stored: 1,
      parked: 2,
    });
    const events = await parkedEvents(id);
    expect(events.map((e) => [e.reason, e.size])).toEqual([
      ['message_too_large', folded.length],
      ['message_too_large', headless.length],
    ]);
    const [cut, bare] = await Promise.all(events.map(async (e) => ticketOf(e.message_id!)));
    const cutStub = cut!.messages[0]!;
    expect(cutStub.headers.from?.address).toBe('lena@client.example');
    expect(cutStub.headers.subject.startsWith('Scans and more scans')).toBe(true);
    expect(cutStub.headers.subject.length).toBeLessThan(64 * 1024);
    expect(cutStub.warnings).toContain('message_too_large');
    const bareStub = bare!.messages[0]!;
    expect(bareStub.headers).toMatchObject({ from: null, oversize: { bytes: headless.length } });
    expect(bareStub.warnings).toContain('message_too_large');
  });
});
