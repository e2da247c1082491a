// "Backups included" (DESIGN promise 6), shown with Vault transit as the KEK provider (the strict
// local fake): a copy of the key table and a copy of the whole database are taken while mailbox A
// and B are connected; A is disconnected. Within the retention window the database copy still opens
// (B's data, which is still connected, is readable from it — the restore a helpdesk needs). Key
// epochs run: the KEK rotates, every live data key is re-wrapped, the old version retires and is
// destroyed KEY_RETENTION_DAYS later. After that, the restored key row of A opens nothing, and the
// restored database opens nothing at all, while the live database still reads B.
import { Writable } from 'node:stream';

import { afterAll, beforeAll, expect, test } from 'vitest';

import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { type Container, makeContainer } from '../../../src/container.js';
import { makeVaultTransitProvider } from '../../../src/crypto/vault-transit.js';
import { makeLogger } from '../../../src/lib/logger.js';
import { runKeyEpoch } from '../../../src/tenancy/key-epochs.js';
import { type FakeVault, startFakeVault } from '../../fakes/vault/index.js';
import { cloneDatabase, type TestDatabase } from '../../helpers/db.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { bearer } from '../../helpers/tenants.js';

const day = 86_400_000;
let vault: FakeVault;
let f: IngestFixture;
let backup: TestDatabase | undefined;
let restored: Container | undefined;
beforeAll(async () => {
  vault = await startFakeVault();
  f = await makeIngestFixture({
    KEY_PROVIDER: 'vault',
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: vault.token,
    KEY_EPOCH_DAYS: '7',
    KEY_RETENTION_DAYS: '30',
  });
});
afterAll(async () => {
  await restored?.close();
  await backup?.drop();
  await f?.t.close();
  await vault?.close();
});

const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
  (await f.t.database.db.tx((ex) => ex.query<T>(sql, params))).rows;

/** An app over the restored copy, with its own connection to the same Vault. */
async function openRestored(
  db: TestDatabase,
): Promise<{ get(url: string): Promise<{ status: number; body: string }> }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    KEY_PROVIDER: 'vault',
    VAULT_ADDR: vault.url,
    VAULT_TOKEN: vault.token,
  });
  const logger = makeLogger({
    level: 'silent',
    destination: new Writable({ write: (_c, _e, cb) => cb() }),
  });
  await restored?.close();
  restored = await makeContainer(
    config,
    logger,
    db.url,
    await makeVaultTransitProvider(config.keys.vault!),
  );
  const app = await buildApp(restored, { logger });
  return {
    get: async (url) => {
      const res = await app.inject({ method: 'GET', url, headers: bearer(f.tenant.token) });
      return { status: res.statusCode, body: res.body };
    },
  };
}

test('a restored backup opens within the retention window and nothing of it opens after; live data keeps working', async () => {
  const deps = f.t.container.epochDeps;
  const t0 = Date.now();
  await runKeyEpoch(deps, { now: new Date(t0) }); // registers the first epoch (vault-v1)
  const mbB = await f.addMailbox('sales@acme.example');
  const a = await f.ingest(mail({ subject: 'A ticket', text: 'MARK-A secret of mailbox A' }));
  const b = await f.ingest(
    mail({ to: 'sales@acme.example', subject: 'B ticket', text: 'MARK-B data of mailbox B' }),
    { mailboxId: mbB },
  );
  if (a.status !== 'stored' || b.status !== 'stored') throw new Error('ingest failed');
  expect(
    (await f.api<{ messages: { text: string }[] }>('GET', `/v1/tickets/${a.ticketId}`)).body
      .messages[0]!.text,
  ).toContain('MARK-A');

  // The backups: A's key row, and the whole database.
  const [keyCopy] = await owner<{ id: string; kek_id: string; wrapped: Buffer }>(
    'SELECT id, kek_id, wrapped FROM data_keys WHERE mailbox_id = $1',
    [f.mailbox],
  );
  expect(keyCopy!.kek_id).toBe('vault-v1');
  backup = await cloneDatabase(f.t.database.name);

  expect((await f.api('DELETE', `/v1/mailboxes/${f.mailbox}`)).status).toBeLessThan(300);
  expect((await f.api('GET', `/v1/tickets/${a.ticketId}`)).status).toBe(410);

  // One epoch later: a new KEK version, every live data key re-wrapped under it, v1 retired.
  const e1 = await runKeyEpoch(deps, { now: new Date(t0 + 8 * day) });
  expect(e1).toMatchObject({ rotated: 'vault-v2', retired: ['vault-v1'], destroyed: [] });
  expect(e1.rewrapped).toBeGreaterThanOrEqual(4); // B's key and the tenant's three
  expect(
    (
      await owner<{ n: number }>(
        `SELECT count(*)::int AS n FROM data_keys WHERE wrapped IS NOT NULL AND kek_id <> 'vault-v2'`,
      )
    )[0]!.n,
  ).toBe(0);

  // Within the window, the restored database still opens: B (still connected) is readable from it.
  const within = await openRestored(backup);
  const bFromBackup = await within.get(`/v1/tickets/${b.ticketId}`);
  expect(bFromBackup.status).toBe(200);
  expect(bFromBackup.body).toContain('MARK-B');

  // KEY_RETENTION_DAYS after retirement the old version is destroyed in Vault (config + trim).
  const e2 = await runKeyEpoch(deps, { now: new Date(t0 + 39 * day) });
  expect(e2.destroyed).toEqual(['vault-v1']);
  expect(vault.versionsOf('inlet-kek')).not.toContain(1);

  // Restoring A's old key row into the live database opens nothing.
  await owner('UPDATE data_keys SET kek_id = $2, wrapped = $3, destroyed_at = NULL WHERE id = $1', [
    keyCopy!.id,
    keyCopy!.kek_id,
    keyCopy!.wrapped,
  ]);
  const aAfter = await f.api('GET', `/v1/tickets/${a.ticketId}`);
  expect(aAfter.status).toBe(410);
  expect(JSON.stringify(aAfter.body)).not.toContain('MARK-A');

  // Restoring the whole database opens nothing at all: every data key in it is wrapped by v1.
  const after = await openRestored(backup);
  for (const id of [a.ticketId, b.ticketId]) {
    const res = await after.get(`/v1/tickets/${id}`);
    expect(res.status).toBe(410);
    expect(res.body).not.toMatch(/MARK-[AB]/);
  }
  const rows = await backup.db.tx(
    async (ex) =>
      (
        await ex.query<{ id: string; tenant_id: string }>(
          'SELECT id, tenant_id FROM data_keys WHERE wrapped IS NOT NULL',
        )
      ).rows,
  );
  expect(rows.length).toBeGreaterThanOrEqual(5);
  for (const r of rows)
    await expect(
      backup.db.tx((ex) => restored!.keys.keyById(ex, r.tenant_id, r.id)),
    ).rejects.toMatchObject({ code: 'mailbox_data_destroyed' });
  // The restored copy still starts (the destroyed KEK is known as destroyed, not "missing").
  await expect(restored!.checkKeyring()).resolves.toBeUndefined();

  // The live database keeps reading B under the new KEK.
  const bLive = await f.api<{ messages: { text: string }[] }>('GET', `/v1/tickets/${b.ticketId}`);
  expect(bLive.status).toBe(200);
  expect(bLive.body.messages[0]!.text).toContain('MARK-B');
});
