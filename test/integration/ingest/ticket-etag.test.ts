// The ticket detail's entity tag (issue #19): derived from the stored versions of the rows the
// detail is made of, so a helpdesk polling an unchanged ticket gets 304 without its messages being
// loaded or opened — and every change a user could see in the detail (a new message, status, an
// attachment's scan verdict, a reply and its delivery state, a destroyed key) gives a new tag.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { setScanResult } from '../../../src/store/attachment-store.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { logStatements, type StatementLog } from '../../helpers/statement-log.js';

let f: IngestFixture;
let ticketId = '';
let firstMessageId = '';
let log: StatementLog;

beforeAll(async () => {
  f = await makeIngestFixture();
  firstMessageId = 'etag-0@client.example';
  const o = await f.ingest(
    mail({
      subject: 'Invoice question',
      messageId: firstMessageId,
      text: 'See the attached invoice.',
      attachments: [
        {
          filename: 'invoice.pdf',
          contentType: 'application/pdf',
          content: Buffer.from('%PDF-1.4\n% test invoice\n'),
        },
      ],
    }),
  );
  if (o.status !== 'stored') throw new Error('not stored');
  ticketId = o.ticketId;
  log = logStatements();
});
afterAll(async () => {
  log?.restore();
  await f?.t.close();
});

interface Read {
  status: number;
  etag: string;
  body: string;
  headers: Record<string, unknown>;
  statements: string[];
}

async function read(ifNoneMatch?: string, query = ''): Promise<Read> {
  const { result: res, statements } = await log.during(() =>
    f.t.app.inject({
      method: 'GET',
      url: `/v1/tickets/${ticketId}${query}`,
      headers: {
        authorization: `Bearer ${f.tenant.token}`,
        ...(ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {}),
      },
    }),
  );
  return {
    status: res.statusCode,
    etag: String(res.headers.etag),
    body: res.body,
    headers: res.headers,
    statements,
  };
}

/** Every (tag, body) seen: one tag must never stand for two different bodies. */
const seen = new Map<string, string>();
async function current(): Promise<Read> {
  const r = await read();
  expect(r.status).toBe(200);
  const before = seen.get(r.etag);
  if (before !== undefined) expect(r.body, 'one tag, two different bodies').toBe(before);
  seen.set(r.etag, r.body);
  return r;
}

/** After `change`, the old tag gets a 200 with the changed body and a new tag. */
async function expectNewTag(change: () => Promise<unknown>): Promise<Read> {
  const old = await current();
  expect((await read(old.etag)).status).toBe(304);
  await change();
  const after = await read(old.etag);
  expect(after.status).toBe(200);
  expect(after.etag).not.toBe(old.etag);
  expect(after.body).not.toBe(old.body);
  return current();
}

const detail = (r: Read) =>
  JSON.parse(r.body) as {
    status: string;
    messages: {
      id: string;
      direction: string;
      reply_state: string | null;
      sent_at: string | null;
      attachments: { scan_status: string }[];
    }[];
  };

describe('ticket detail ETag', () => {
  test('an unchanged ticket answers 304 with no body, its messages neither queried nor opened; the read is still audited', async () => {
    const first = await current();
    expect(first.etag).toMatch(/^"[0-9a-f]{32}"$/);
    // Stable while nothing changes, whatever the form of the header.
    expect((await current()).etag).toBe(first.etag);
    for (const header of [first.etag, `W/${first.etag}`, `"nope", ${first.etag}`, '*']) {
      const r = await read(header);
      expect(r.status, header).toBe(304);
      expect(r.body).toBe('');
      // A 304 announces no length (a Content-Length: 4 for "null" left clients waiting for bytes).
      expect(r.headers['content-length']).toBeUndefined();
      expect(r.etag).toBe(first.etag);
      // Authentication, BEGIN, the ticket with its tag and audit record, COMMIT: no page of messages.
      expect(r.statements.some((s) => /FROM messages m WHERE tenant_id = \$1/.test(s))).toBe(false);
      expect(r.statements.length, r.statements.join('\n')).toBeLessThanOrEqual(4);
    }
    const { rows } = await f.t.container.db.tx((ex) =>
      ex.query<{ detail: unknown }>(
        "SELECT detail FROM audit_log WHERE action = 'ticket.read' AND resource_id = $1 ORDER BY id DESC LIMIT 1",
        [ticketId],
      ),
    );
    expect(rows[0]!.detail).toEqual({ not_modified: true });
    // A tag that is not current, or of another representation, gets the full detail.
    expect((await read('"0123456789abcdef0123456789abcdef"')).status).toBe(200);
    const withHtml = await read(first.etag, '?html=true');
    expect(withHtml.status).toBe(200);
    expect(withHtml.etag).not.toBe(first.etag);
    expect((await read(first.etag, '?messages_limit=10')).status).toBe(200);
  });

  test("an attachment's scan verdict changes the tag", async () => {
    const r = await expectNewTag(async () => {
      const { rows } = await f.t.container.db.tx((ex) =>
        ex.query<{ id: string }>('SELECT id FROM attachments WHERE tenant_id = $1', [f.tenant.id]),
      );
      expect(rows).toHaveLength(1);
      await f.t.container.db.tenantTx(f.tenant.id, (ex) =>
        setScanResult(ex, f.tenant.id, rows[0]!.id, 'clean', null),
      );
    });
    expect(detail(r).messages[0]!.attachments[0]!.scan_status).toBe('clean');
  });

  test('the ticket status changes the tag', async () => {
    const r = await expectNewTag(() =>
      f.api('PATCH', `/v1/tickets/${ticketId}`, { status: 'pending' }),
    );
    expect(detail(r).status).toBe('pending');
  });

  test('a new message on the ticket changes the tag', async () => {
    const r = await expectNewTag(async () => {
      const o = await f.ingest(
        mail({
          subject: 'Re: Invoice question',
          inReplyTo: `<${firstMessageId}>`,
          references: `<${firstMessageId}>`,
          text: 'Any news?',
        }),
      );
      expect(o.status === 'stored' && o.ticketId).toBe(ticketId);
    });
    expect(detail(r).messages).toHaveLength(2);
  });

  test("an agent's reply, and then its delivery state, each change the tag", async () => {
    let replyId = '';
    const queued = await expectNewTag(async () => {
      // An imported (local) mailbox cannot send: the reply is queued as if through IMAP (no worker
      // runs here, so it stays queued until the test moves it on).
      const provider = (p: string) =>
        f.t.container.db.tx((ex) =>
          ex.query('UPDATE mailboxes SET provider = $2 WHERE id = $1', [f.mailbox, p]),
        );
      await provider('imap');
      const res = await f.t.app.inject({
        method: 'POST',
        url: `/v1/tickets/${ticketId}/replies`,
        headers: { authorization: `Bearer ${f.tenant.token}`, 'idempotency-key': 'etag-reply-1' },
        payload: { text: 'We are looking into it.' },
      });
      expect(res.statusCode, res.body).toBe(202);
      replyId = res.json<{ id: string }>().id;
      await provider('local');
    });
    const out = detail(queued).messages.find((m) => m.direction === 'outbound')!;
    expect(out.sent_at).toBeNull();
    const failed = await expectNewTag(() =>
      f.t.container.db.tx((ex) =>
        ex.query(
          "UPDATE outbox SET state = 'failed', failure_reason = 'rejected' WHERE tenant_id = $1 AND message_id = $2",
          [f.tenant.id, replyId],
        ),
      ),
    );
    expect(detail(failed).messages.find((m) => m.direction === 'outbound')!.reply_state).toBe(
      'failed',
    );
  });

  test("a destroyed mailbox key answers 410 to a tag that was current, and to '*'", async () => {
    const { etag } = await current();
    expect((await read(etag)).status).toBe(304);
    await f.t.container.db.tenantTx(f.tenant.id, (ex) =>
      f.t.container.keys.destroyMailboxKey(ex, f.tenant.id, f.mailbox),
    );
    expect((await read(etag)).status).toBe(410);
    expect((await read('*')).status).toBe(410);
  });
});
