// "Disconnect deletes" for a Gmail mailbox, through the strict Google fake and real PostgreSQL:
// disconnect stops the watch and revokes the grant at Google before the key is destroyed, content is
// unreadable at once, pending replies are cancelled, and the purge job (run directly instead of
// waiting MAILBOX_PURGE_DELAY_HOURS) leaves no row of the mailbox in any table that has a mailbox_id
// column — read from the catalog, so a table added later is checked too. Interrupted purges resume;
// a failing revoke is recorded and does not stop the deletion; other tenants keep their data.
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { beginDisconnect } from '../../src/mailboxes/disconnect.js';
import { purgeMailbox } from '../../src/mailboxes/purge.js';
import { lockMailbox } from '../../src/store/mailbox-store.js';
import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { type GmailHarness, makeGmailHarness } from '../helpers/gmail.js';
import {
  deletionReceipt,
  mailboxLeftovers,
  syncedGmailMailbox,
  tenantRowCounts,
} from '../helpers/mailbox-purge.js';
import { bearer, createTenant } from '../helpers/tenants.js';

let h: GmailHarness;
let other: { id: string; token: string };
beforeAll(async () => {
  h = await makeGmailHarness();
  other = await createTenant(h.t, 'Other tenant');
});
afterAll(async () => {
  await h?.close();
});

const api = (
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
  token = h.tenant.token,
) =>
  h.t.app.inject({
    method,
    url,
    headers: { ...bearer(token), 'idempotency-key': randomUUID() },
    payload: payload as never,
  });

const leftovers = (mailboxId: string) => mailboxLeftovers(h, mailboxId);
const tenantRows = (tenantId: string) => tenantRowCounts(h, tenantId);
const gmailMailbox = (email: string, n: number, tenant: { id: string; token: string } = h.tenant) =>
  syncedGmailMailbox(h, email, n, tenant);
const receiptOf = (mailboxId: string) => deletionReceipt(h, mailboxId);

const dueNow = (mailboxId: string) =>
  h.owner(
    `UPDATE deletion_receipts SET purge_after = now() - interval '1 second' WHERE mailbox_id = $1`,
    [mailboxId],
  );
const purge = (tenantId: string, mailboxId: string, opts = {}) =>
  purgeMailbox(h.t.container.disconnectDeps, { tenantId, mailboxId }, opts);

describe('disconnecting a Gmail mailbox', () => {
  test('stop, revoke, shred at once; the purge leaves no row in any mailbox_id table; receipt and audit record remain', async () => {
    const email = 'support@purge-main.example';
    const id = await gmailMailbox(email, 3);
    const otherId = await gmailMailbox('help@purge-other.example', 2, other);
    const otherBefore = await tenantRows(other.id);
    expect(otherBefore.messages).toBe(2);

    const tickets = (await api('GET', '/v1/tickets')).json().items as { id: string }[];
    expect(tickets.length).toBeGreaterThanOrEqual(3);
    const ticket = (await api('GET', `/v1/tickets/${tickets[0]!.id}`)).json();
    const messageId = ticket.messages[0].id as string;
    // Readable before: served, or (no clamd here, so an attachment stays pending) held back, not gone.
    const before = await api('GET', `/v1/messages/${messageId}/raw`);
    expect(before.statusCode === 200 || before.json().code === 'original_not_clean').toBe(true);
    const [attachment] = await h.owner<{ id: string }>(
      'SELECT id FROM attachments WHERE mailbox_id = $1',
      [id],
    );
    expect(attachment).toBeDefined();
    // A reply waiting to be sent when the mailbox goes.
    const reply = (
      await api('POST', `/v1/tickets/${tickets[0]!.id}/replies`, { text: 'On it' })
    ).json();
    const callsBefore = h.fake.callLog().length;

    const res = await api('DELETE', `/v1/mailboxes/${id}`);
    expect(res.statusCode).toBe(200);
    const view = res.json();
    expect(view).toMatchObject({
      id,
      status: 'disconnected',
      address: null,
      deletion: {
        push_stop: 'stopped',
        grant_revoke: 'revoked',
        push_error: null,
        grant_error: null,
        completed_at: null,
        requested_by: expect.stringMatching(/^key:/),
      },
    });
    expect(new Date(view.deletion.key_destroyed_at).getTime()).toBeLessThanOrEqual(Date.now());
    // MAILBOX_PURGE_DELAY_HOURS defaults to 24.
    expect(
      Math.abs(new Date(view.deletion.purge_after).getTime() - Date.now() - 24 * 3_600_000),
    ).toBeLessThan(60_000);

    // Google saw users.stop, then the revocation; the grant is gone.
    const calls = h.fake.callLog().slice(callsBefore);
    const stop = calls.findIndex(
      (c) => c.operation === 'users.stop' && c.user === email && c.status < 300,
    );
    const revoke = calls.findIndex((c) => c.operation === 'oauth.revoke' && c.status === 200);
    expect(stop).toBeGreaterThanOrEqual(0);
    expect(revoke).toBeGreaterThan(stop);
    expect(h.fake.watchOf(email)).toBeUndefined();

    // Content is unreadable at once; the reply was cancelled, visibly, and never sent.
    for (const url of [`/v1/messages/${messageId}/raw`, `/v1/tickets/${tickets[0]!.id}`]) {
      expect([404, 410], url).toContain((await api('GET', url)).statusCode);
    }
    // clamd is down in this harness, so the attachment is still pending (409) — not served either way.
    expect([404, 409, 410]).toContain(
      (await api('GET', `/v1/attachments/${attachment!.id}/content`)).statusCode,
    );
    const gone = await api('GET', `/v1/mailboxes/${id}`);
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({
      code: 'mailbox_data_destroyed',
      deletion: { grant_revoke: 'revoked', completed_at: null },
    });
    const [outbox] = await h.owner<{ state: string; failure_reason: string }>(
      'SELECT state, failure_reason FROM outbox WHERE message_id = $1',
      [reply.id],
    );
    expect(outbox).toMatchObject({ state: 'cancelled', failure_reason: 'mailbox_disconnected' });
    expect(
      await h.owner('SELECT 1 FROM events WHERE type = $1 AND resource_id = $2', [
        'reply.cancelled',
        reply.id,
      ]),
    ).toHaveLength(1);
    expect(h.fake.sentMessages(email)).toHaveLength(0);
    // The tombstone names nothing.
    const [tomb] = await h.owner<Record<string, unknown>>(
      'SELECT address_ct, address_bidx, display_name_ct, credentials_ct, cursor, push_channel FROM mailboxes WHERE id = $1',
      [id],
    );
    expect(Object.values(tomb!).every((v) => v === null)).toBe(true);

    // Repeating the disconnect changes nothing and queues no second purge.
    const again = await api('DELETE', `/v1/mailboxes/${id}`);
    expect(again.statusCode).toBe(200);
    expect(again.json().deletion).toEqual(view.deletion);
    expect(
      await h.owner(
        `SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'mailbox.purge' AND key = $1`,
        [`purge:${id}`],
      ),
    ).toHaveLength(1);

    // Before the deadline the job only reschedules itself.
    expect(await purge(h.tenant.id, id)).toBe('scheduled');
    expect(Object.keys(await leftovers(id)).length).toBeGreaterThan(0);

    await dueNow(id);
    expect(await purge(h.tenant.id, id)).toBe('completed');
    expect(await leftovers(id)).toEqual({});
    const receipt = await receiptOf(id);
    expect(receipt!.completed_at).not.toBeNull();
    expect(receipt!.rows_purged).toMatchObject({
      messages: 4,
      attachments: 1,
      data_keys: 1,
      outbox: 1,
    }); // 3 inbound + the reply
    expect(receipt!.rows_purged.tickets).toBeGreaterThanOrEqual(3);
    expect(receipt!.rows_purged.message_raw_chunks).toBeGreaterThanOrEqual(4);
    expect(receipt!.rows_purged.message_deliveries).toBeGreaterThanOrEqual(3);
    expect(await purge(h.tenant.id, id)).toBe('already_completed');

    // The receipt is in the audit log and on the mailbox's 410.
    const audit = (await api('GET', `/v1/audit?action=mailbox.purge&resource_id=${id}`)).json()
      .items;
    expect(audit).toHaveLength(1);
    expect(audit[0].detail).toMatchObject({
      push_stop: 'stopped',
      grant_revoke: 'revoked',
      rows_messages: 4,
    });
    expect((await api('GET', `/v1/mailboxes/${id}`)).json().deletion).toMatchObject({
      completed_at: expect.any(String),
      rows_purged: { messages: 4 },
    });
    expect(JSON.stringify(audit)).not.toMatch(/PURGEMARK|purge-main/);

    // The other tenant is untouched and still works.
    expect(await tenantRows(other.id)).toEqual(otherBefore);
    expect(
      (await api('GET', `/v1/mailboxes/${otherId}`, undefined, other.token)).json(),
    ).toMatchObject({ status: 'active' });
    expect(h.fake.watchOf('help@purge-other.example')).toBeDefined();
  });

  test('a purge interrupted after its first batch finishes when run again, with exact counts', async () => {
    const id = await gmailMailbox('support@purge-resume.example', 5);
    expect((await api('DELETE', `/v1/mailboxes/${id}`)).statusCode).toBe(200);
    await dueNow(id);
    expect(await purge(h.tenant.id, id, { batchSize: 2, maxBatches: 1 })).toBe('interrupted');
    const partial = await receiptOf(id);
    expect(partial!.rows_purged.messages).toBe(2);
    expect(partial!.completed_at).toBeNull();
    expect((await leftovers(id)).messages).toBe(3);
    expect(await purge(h.tenant.id, id, { batchSize: 2 })).toBe('completed');
    expect(await leftovers(id)).toEqual({});
    expect((await receiptOf(id))!.rows_purged.messages).toBe(5);
  });

  test('Google failing: a 500 on users.stop and an unreachable revoke endpoint are recorded; the deletion completes', async () => {
    const email = 'support@purge-google-down.example';
    const id = await gmailMailbox(email, 1);
    h.fake.injectErrors(email, [{ status: 500, operation: 'users.stop' }], 20);
    const rt = h.t.container.providerDeps.gmail!;
    const client = rt.client;
    rt.client = {
      ...client,
      endpoints: { ...client.endpoints, revokeUrl: 'http://127.0.0.1:1/revoke' },
    };
    let res;
    try {
      res = await api('DELETE', `/v1/mailboxes/${id}`);
    } finally {
      rt.client = client;
      h.fake.injectErrors(email, [], 0);
    }
    expect(res.statusCode).toBe(200);
    expect(res.json().deletion).toMatchObject({
      push_stop: 'failed',
      push_error: expect.any(String),
      grant_revoke: 'failed',
      grant_error: expect.any(String),
      key_destroyed_at: expect.any(String),
    });
    expect((await api('GET', `/v1/mailboxes/${id}`)).statusCode).toBe(410);
    await dueNow(id);
    expect(await purge(h.tenant.id, id)).toBe('completed');
    expect(await leftovers(id)).toEqual({});
    expect(await receiptOf(id)).toMatchObject({
      grant_revoke: 'failed',
      push_stop: 'failed',
      completed_at: expect.any(Date),
    });
    // No token in any log line.
    expect(h.t.logs.join('')).not.toMatch(/1\/\/0fake|ya29\.|refresh_token/);
  });

  test('a disconnect whose request died before the key was destroyed is finished by the purge job', async () => {
    const email = 'support@purge-crash.example';
    const id = await gmailMailbox(email, 1);
    // Step 1 only, as if the process was killed right after it.
    await h.t.database.db.tenantTx(h.tenant.id, async (ex) =>
      beginDisconnect(
        h.t.container.disconnectDeps,
        ex,
        systemActor(h.tenant.id, 'test'),
        (await lockMailbox(ex, h.tenant.id, id))!,
      ),
    );
    expect(
      (await h.owner<{ status: string }>('SELECT status FROM mailboxes WHERE id = $1', [id]))[0]!
        .status,
    ).toBe('disconnecting');
    // Sync stops at once.
    expect(await syncMailbox(h.t.container, h.tenant.id, id)).toMatchObject({ status: 'skipped' });
    expect(await purge(h.tenant.id, id)).toBe('scheduled');
    expect(await receiptOf(id)).toMatchObject({ push_stop: 'stopped', grant_revoke: 'revoked' });
    expect(
      (
        await h.owner<{ wrapped: Buffer | null }>(
          'SELECT wrapped FROM data_keys WHERE mailbox_id = $1',
          [id],
        )
      )[0]!.wrapped,
    ).toBeNull();
    await dueNow(id);
    expect(await purge(h.tenant.id, id)).toBe('completed');
    expect(await leftovers(id)).toEqual({});
  });
});
