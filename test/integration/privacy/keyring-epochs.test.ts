// Key epochs with the operator-managed keyring (INLET_MASTER_KEYS): Inlet cannot make or destroy
// these keys, so it re-wraps under the key the operator added, says when the old one must go, and
// refuses to start while a retired key is still configured past its destroy date.
import { Writable } from 'node:stream';

import { afterAll, beforeAll, expect, test } from 'vitest';

import { loadConfig } from '../../../src/config.js';
import { type Container, makeContainer } from '../../../src/container.js';
import { makeLocalKeyProvider, parseKeyringSpec } from '../../../src/crypto/index.js';
import { makeLogger } from '../../../src/lib/logger.js';
import { runKeyEpoch } from '../../../src/tenancy/key-epochs.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { testKeyring } from '../../helpers/tenants.js';

const day = 86_400_000;
let f: IngestFixture;
let second: Container | undefined;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await second?.close();
  await f?.t.close();
});

test('the operator adds the next key; Inlet re-wraps, retires the old one and refuses to start while it is kept past its date', async () => {
  const t0 = Date.now();
  const first = await runKeyEpoch(f.t.container.epochDeps, { now: new Date(t0) });
  expect(first).toMatchObject({ active: 'k1', rotated: null, rotationDue: false });
  const stored = await f.ingest(mail({ text: 'KEYRING-MARK' }));
  if (stored.status !== 'stored') throw new Error('ingest failed');
  // An epoch later with no new key: Inlet says so, and cannot do it itself.
  expect(
    (await runKeyEpoch(f.t.container.epochDeps, { now: new Date(t0 + 8 * day) })).rotationDue,
  ).toBe(true);

  // The operator appends k2 (now active) and restarts.
  const ring = `${f.keyring},${testKeyring('k2')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: f.t.database.url,
    INLET_MASTER_KEYS: ring,
    KEY_RETENTION_DAYS: '30',
  });
  const logger = makeLogger({
    level: 'silent',
    destination: new Writable({ write: (_c, _e, cb) => cb() }),
  });
  second = await makeContainer(
    config,
    logger,
    f.t.database.url,
    makeLocalKeyProvider(parseKeyringSpec(ring)),
  );
  const e = await runKeyEpoch(second.epochDeps, { now: new Date(t0 + 9 * day) });
  expect(e).toMatchObject({ active: 'k2', retired: ['k1'], destroyed: [], overdue: [] });
  await expect(second.checkKeyring()).resolves.toBeUndefined();

  // Past the retention: k1 is overdue, start-up refuses with the reason and the date.
  const late = await runKeyEpoch(second.epochDeps, { now: new Date(t0 + 40 * day) });
  expect(late.overdue).toEqual(['k1']);
  await f.t.database.db.tx((ex) =>
    ex.query(
      `UPDATE kek_epochs SET destroy_after = now() - interval '1 minute' WHERE kek_id = 'k1'`,
    ),
  );
  await expect(second.checkKeyring()).rejects.toThrow(
    /k1 \(destroy after .*Remove them from INLET_MASTER_KEYS/,
  );

  // Once the operator removed it, the epoch records the destruction, and the data reads under k2.
  await second.close();
  const onlyK2 = ring.split(',')[1]!;
  second = await makeContainer(
    loadConfig({ NODE_ENV: 'test', DATABASE_URL: f.t.database.url, INLET_MASTER_KEYS: onlyK2 }),
    logger,
    f.t.database.url,
    makeLocalKeyProvider(parseKeyringSpec(onlyK2)),
  );
  await expect(second.checkKeyring()).resolves.toBeUndefined();
  expect((await runKeyEpoch(second.epochDeps, { now: new Date(t0 + 41 * day) })).destroyed).toEqual(
    ['k1'],
  );
  const dek = await second.db.tenantTx(f.tenant.id, (ex) =>
    second!.keys.mailboxKey(ex, f.tenant.id, f.mailbox),
  );
  expect(dek.key).toHaveLength(32);
});
