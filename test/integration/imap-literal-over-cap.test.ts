// A server whose RFC822.SIZE lists a message under INGEST_MAX_MESSAGE_BYTES but whose FETCH sends a
// literal past the cap (literalCap in imap-settings.ts). The literal is never read (imapflow drops
// the connection at its announcement), and retrying would meet it again on every attempt, holding
// the mailbox's sync at that message: it is parked as message_too_large like a message listed as
// too large, and the mail after it is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { type HostileImap, literalOverCapAt, startHostileImap } from '../helpers/hostile-imap.js';
import { localMailEnv } from '../helpers/local-mail.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../helpers/tenants.js';

const limit = 64 * 1024; // literal cap: limit + 1 MiB
const big = 3_000_000;

let t: TestApp;
let sink: SmtpSink;
let imap: HostileImap;
let tenant: Awaited<ReturnType<typeof createTenant>>;

beforeAll(async () => {
  t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    INLET_MASTER_KEYS: testKeyring(),
    INGEST_MAX_MESSAGE_BYTES: String(limit),
    ...localMailEnv,
  });
  sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
  imap = await startHostileImap({ script: literalOverCapAt(2, big) });
  tenant = await createTenant(t, 'Acme');
});
afterAll(async () => {
  await imap?.close();
  await sink?.close();
  await t?.close();
});

describe('an IMAP FETCH literal over the cap for a message listed under the limit', () => {
  it('parks that message as too large and stores the mail after it; the next sync moves on', async () => {
    const endpoint = { tls: false, allow_plaintext: true };
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(tenant.token),
      payload: {
        provider: 'imap',
        imap: {
          ...endpoint,
          host: imap.host,
          port: imap.port,
          user: 'u@example.test',
          password: 'pw',
        },
        smtp: {
          ...endpoint,
          host: sink.host,
          port: sink.port,
          user: 'sender',
          password: 'sender-pass',
        },
      },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;

    expect(await syncMailbox(t.container, tenant.id, id)).toMatchObject({
      status: 'synced',
      stored: 2,
      parked: 1,
    });
    const db = t.database.db;
    const parked = await db.tx((ex) =>
      ex.query<{ provider_message_id: string; error_code: string; has_raw: boolean }>(
        'SELECT provider_message_id, error_code, raw_ct IS NOT NULL AS has_raw FROM ingest_failures WHERE mailbox_id = $1',
        [id],
      ),
    );
    expect(parked.rows).toEqual([
      { provider_message_id: '7:2', error_code: 'message_too_large', has_raw: false },
    ]);
    // The message after it is stored: the sync did not stop at the big one. The big one's delivery
    // is its stub's: this server answers the header fetch over the cap too, so the stub holds what
    // the listing knew.
    const deliveries = await db.tx((ex) =>
      ex.query<{ provider_message_id: string; outcome: string }>(
        'SELECT provider_message_id, outcome FROM message_deliveries WHERE mailbox_id = $1 ORDER BY provider_message_id',
        [id],
      ),
    );
    expect(deliveries.rows).toEqual([
      { provider_message_id: '7:1', outcome: 'stored' },
      { provider_message_id: '7:2', outcome: 'stored' },
      { provider_message_id: '7:3', outcome: 'stored' },
    ]);

    // Its stub names no size: the server's RFC822.SIZE, under the limit, was not the message's.
    const events = await db.tx((ex) =>
      ex.query<{ data: Record<string, unknown> }>(
        `SELECT data FROM events WHERE type = 'message.parked' AND resource_id = $1`,
        [id],
      ),
    );
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]!.data).toHaveProperty('message_id');
    expect(events.rows[0]!.data).not.toHaveProperty('size');

    // Nothing is fetched again: the parked delivery is on record and the cursor is past it.
    const fetches = () =>
      imap.commands.filter((c) => c.name === 'UID FETCH' && /BODY/i.test(c.args)).length;
    const before = fetches();
    expect(await syncMailbox(t.container, tenant.id, id)).toMatchObject({
      status: 'synced',
      stored: 0,
      parked: 0,
    });
    expect(fetches()).toBe(before);
  });
});
