// Connecting an IMAP mailbox and syncing it, against a real Dovecot and PostgreSQL: what a helpdesk
// operator sees through the API (422 codes that store nothing, progress, every message once).
import { describe, expect, it } from 'vitest';

import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import {
  appendMany,
  backlogMessages,
  connectBody,
  counts,
  customerMessage,
  newImapUser,
} from '../helpers/imap-mailbox.js';
import { getMailboxOf, imapTestbed, postMailbox, syncSmallPages } from '../helpers/imap-testbed.js';

const bed = await imapTestbed();
const { dovecot } = bed;

const connect = (body: unknown) => postMailbox(bed, body);
const getMailbox = (id: string) => getMailboxOf(bed, id);
const sync = (id: string) => syncSmallPages(bed, id);

async function storedRows(): Promise<{ mailboxes: number; mailboxKeys: number }> {
  return bed.t.database.db.tx(async (ex) => {
    const m = await ex.query<{ n: string }>(
      'SELECT count(*) AS n FROM mailboxes WHERE tenant_id = $1',
      [bed.tenant.id],
    );
    const k = await ex.query<{ n: string }>(
      `SELECT count(*) AS n FROM data_keys WHERE tenant_id = $1 AND purpose = 'mailbox'`,
      [bed.tenant.id],
    );
    return { mailboxes: Number(m.rows[0]!.n), mailboxKeys: Number(k.rows[0]!.n) };
  });
}

describe.skipIf(!dovecot)(`IMAP connect and sync${bed.skipReason}`, () => {
  it('refuses wrong credentials or a missing folder with the provider code and stores nothing', async () => {
    const u = await newImapUser(dovecot!);
    const wrong = `Wrong-${u.password}`;
    const cases: [unknown, string][] = [
      [connectBody(dovecot!, bed.sink, { ...u, password: wrong }), 'imap_auth_failed'],
      [
        {
          ...connectBody(dovecot!, bed.sink, u),
          smtp: {
            host: bed.sink.host,
            port: bed.sink.port,
            tls: false,
            allow_plaintext: true,
            user: 'sender',
            password: 'nope',
          },
        },
        'smtp_auth_failed',
      ],
      [connectBody(dovecot!, bed.sink, u, { folder: 'Nowhere' }), 'imap_folder_missing'],
      [
        {
          ...connectBody(dovecot!, bed.sink, u),
          imap: {
            host: '127.0.0.1',
            port: 1,
            tls: false,
            allow_plaintext: true,
            user: u.user,
            password: u.password,
          },
        },
        'mail_server_unreachable',
      ], // port outside the allow-list
    ];
    for (const [body, code] of cases) {
      const res = await connect(body);
      expect(res.statusCode, code).toBe(422);
      expect(res.json().code).toBe(code);
      expect(res.body).not.toContain(u.password);
    }
    expect(await storedRows()).toEqual({ mailboxes: 0, mailboxKeys: 0 });
    expect(bed.t.logs.join('')).not.toContain(wrong);
  });

  it('connects, backfills the N newest messages exactly once and shows progress', async () => {
    const u = await newImapUser(dovecot!);
    for (let i = 0; i < 12; i++) await dovecot!.append(u.user, 'INBOX', customerMessage('bf').raw);
    const res = await connect(
      connectBody(dovecot!, bed.sink, u, {
        backfill: { max_messages: 10 },
        display_name: 'Support',
      }),
    );
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      provider: 'imap',
      status: 'active',
      address: u.user,
      sync: { progress: { done: 0, total: null } },
    });
    expect(res.body).not.toContain(u.password);

    // The first sync was queued with the connect, keyed and serialised per mailbox.
    const jobs = await bed.t.database.db.tx((ex) =>
      ex.query<{ key: string; queue_name: string }>(
        `SELECT key, queue_name FROM graphile_worker.jobs WHERE task_identifier = 'mailbox.sync'`,
      ),
    );
    expect(jobs.rows).toContainEqual({
      key: `sync:${created.id}`,
      queue_name: `mailbox:${created.id}`,
    });
    // The password sits only as ciphertext.
    const raw = await bed.t.database.db.tx((ex) =>
      ex.query<{ c: Buffer }>('SELECT credentials_ct AS c FROM mailboxes WHERE id = $1', [
        created.id,
      ]),
    );
    expect(raw.rows[0]!.c.includes(Buffer.from(u.password))).toBe(false);

    const first = await sync(created.id);
    expect(first).toMatchObject({ status: 'synced', stored: 10, duplicates: 0 });
    expect(await counts(bed.t.database.db, created.id)).toEqual({
      messages: 10,
      deliveries: 10,
      tickets: 10,
      distinctIds: 10,
    });
    const view = await getMailbox(created.id);
    expect(view.sync).toMatchObject({ progress: { done: 10, total: 10 }, last_error_class: null });
    expect(Date.parse(view.sync.last_sync_at)).toBeGreaterThan(Date.now() - 60_000);

    // Mail arriving later is picked up incrementally; a repeated sync adds nothing.
    for (let i = 0; i < 3; i++) await dovecot!.append(u.user, 'INBOX', customerMessage('inc').raw);
    expect(await sync(created.id)).toMatchObject({ stored: 3, duplicates: 0 });
    expect(await sync(created.id)).toMatchObject({ stored: 0, duplicates: 0 });
    expect(await counts(bed.t.database.db, created.id)).toMatchObject({
      messages: 13,
      tickets: 13,
    });
    expect((await getMailbox(created.id)).sync.lag_seconds).toBeGreaterThanOrEqual(0);

    // The same address cannot be connected twice in one tenant.
    expect((await connect(connectBody(dovecot!, bed.sink, u))).statusCode).toBe(409);
  });

  it('threads replies into tickets opened earlier in the same backlog while later pages are fetched ahead', async () => {
    const u = await newImapUser(dovecot!);
    // 60 messages, 24 of them replies, over listing pages of 7 and FETCH batches: a reply's
    // original is often still being stored while the reply's page is listed and fetched.
    const backlog = backlogMessages(60, { attachEvery: 15, attachBytes: 20_000 });
    await appendMany(dovecot!, u, backlog.raws);
    const { id } = (
      await connect(connectBody(dovecot!, bed.sink, u, { backfill: { max_messages: 100 } }))
    ).json();
    expect(await sync(id)).toMatchObject({ status: 'synced', stored: 60, duplicates: 0 });
    const rows = await bed.t.database.db.tx(async (ex) => {
      const { rows: r } = await ex.query<{ subject_ticket: string; n: string }>(
        'SELECT ticket_id AS subject_ticket, count(*) AS n FROM messages WHERE mailbox_id = $1 GROUP BY ticket_id',
        [id],
      );
      return r;
    });
    // 36 originals, each its own ticket; every reply joined one of them.
    expect(rows).toHaveLength(36);
    expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(60);
    expect(await counts(bed.t.database.db, id)).toMatchObject({ messages: 60, deliveries: 60 });
    expect((await getMailbox(id)).sync.progress).toEqual({ done: 60, total: 60 });
  });

  it('re-syncs after a UIDVALIDITY change without duplicates or misses', async () => {
    const u = await newImapUser(dovecot!);
    for (let i = 0; i < 5; i++) await dovecot!.append(u.user, 'INBOX', customerMessage('uv').raw);
    const { id } = (await connect(connectBody(dovecot!, bed.sink, u))).json();
    expect(await sync(id)).toMatchObject({ stored: 5 });

    await dovecot!.resetUidValidity(u.user, 'INBOX');
    const late = [customerMessage('uv-late'), customerMessage('uv-late')];
    for (const m of late) await dovecot!.append(u.user, 'INBOX', m.raw);
    // Every UID is new, but the listing's Message-IDs show five are held already: only two are fetched.
    let handed = 0;
    const pipeline = {
      ...bed.t.container.pipeline,
      ingestPage: (
        inputs: Parameters<typeof bed.t.container.pipeline.ingestPage>[0],
        opts?: Parameters<typeof bed.t.container.pipeline.ingestPage>[1],
      ) => {
        handed += inputs.length;
        return bed.t.container.pipeline.ingestPage(inputs, opts);
      },
    };
    const after = await syncMailbox(
      { ...bed.t.container, pipeline, pageSize: 7 },
      bed.tenant.id,
      id,
    );
    expect(after).toMatchObject({ stored: 2, duplicates: 5 });
    expect(handed).toBe(2);
    expect(await counts(bed.t.database.db, id)).toMatchObject({
      messages: 7,
      tickets: 7,
      distinctIds: 7,
    });
    expect(await sync(id)).toMatchObject({ stored: 0, duplicates: 0 });
  });

  it('loses and doubles nothing when UIDVALIDITY changes in the middle of a sync', async () => {
    const u = await newImapUser(dovecot!);
    const mails = Array.from({ length: 9 }, () => customerMessage('uv-mid'));
    for (const m of mails) await dovecot!.append(u.user, 'INBOX', m.raw);
    const { id } = (await connect(connectBody(dovecot!, bed.sink, u))).json();
    // The mailbox is renumbered once the first page is stored, while the sync's session is open.
    let pages = 0;
    const real = bed.t.container.pipeline;
    const pipeline = {
      ...real,
      ingestPage: async (...args: Parameters<typeof real.ingestPage>) => {
        const out = await real.ingestPage(...args);
        if (++pages === 1) await dovecot!.resetUidValidity(u.user, 'INBOX');
        return out;
      },
    };
    // Dovecot ends a session whose folder was renumbered (BYE): the job fails, to be retried.
    const cut = await syncMailbox({ ...bed.t.container, pipeline, pageSize: 3 }, bed.tenant.id, id)
      .then(() => null)
      .catch((err: unknown) => err);
    expect(cut === null || (cut as { kind?: string }).kind === 'transient').toBe(true);
    expect(await sync(id)).toMatchObject({ status: 'synced' });
    expect(await counts(bed.t.database.db, id)).toMatchObject({
      messages: 9,
      tickets: 9,
      distinctIds: 9,
    });
    expect(await sync(id)).toMatchObject({ stored: 0, duplicates: 0 });
  });

  it('fetches mail another mailbox of the tenant already holds, and records it as a duplicate there', async () => {
    const [a, b] = [await newImapUser(dovecot!), await newImapUser(dovecot!)];
    const shared = customerMessage('cc');
    for (const u of [a, b]) await dovecot!.append(u.user, 'INBOX', shared.raw);
    const idA = (await connect(connectBody(dovecot!, bed.sink, a))).json().id as string;
    const idB = (await connect(connectBody(dovecot!, bed.sink, b, { mark_seen: true }))).json()
      .id as string;
    expect(await sync(idA)).toMatchObject({ stored: 1 });
    // Only this mailbox's own deliveries spare a fetch: B's copy is fetched (and flagged \Seen).
    expect(await sync(idB)).toMatchObject({ stored: 0, duplicates: 1 });
    expect((await dovecot!.list(b.user, 'INBOX'))[0]!.flags).toContain('\\Seen');
    expect(await counts(bed.t.database.db, idB)).toMatchObject({ messages: 0, deliveries: 1 });
  });

  it('refuses a local mailbox as a mail source', async () => {
    const res = await connect({ provider: 'local', address: 'import@example.test' });
    expect(res.statusCode).toBe(201);
    expect(res.json().sync).toBeNull();
    const { providerForMailbox } = await import('../../src/providers/open-mailbox.js');
    await expect(
      bed.t.database.db.tenantTx(bed.tenant.id, (ex) =>
        providerForMailbox(ex, bed.t.container.keys, bed.tenant.id, res.json().id, 'sync'),
      ),
    ).rejects.toMatchObject({ code: 'mailbox_cannot_send', status: 422 });
  });
});
