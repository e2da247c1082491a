import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  type DataKey,
  generateKek,
  makeLocalKeyProvider,
  open,
  parseKeyringSpec,
} from '../../../src/crypto/index.js';
import { makeKeyService } from '../../../src/tenancy/key-service.js';
import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../../helpers/tenants.js';

const keyring = testKeyring('k1');
let t: TestApp;
let a: Awaited<ReturnType<typeof createTenant>>;
let b: Awaited<ReturnType<typeof createTenant>>;
const mailboxes: Record<string, string> = {};

async function mkMailbox(token: string, marker: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: bearer(token),
    payload: {
      provider: 'local',
      address: `${marker.toLowerCase()}@example.com`,
      display_name: `Name ${marker}`,
    },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

beforeAll(async () => {
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: keyring });
  a = await createTenant(t, 'A');
  b = await createTenant(t, 'B');
  mailboxes.a1 = await mkMailbox(a.token, 'MARKERAONE7391');
  mailboxes.a2 = await mkMailbox(a.token, 'MARKERATWO5128');
  mailboxes.b1 = await mkMailbox(b.token, 'MARKERBONE8802');
});
afterAll(async () => {
  await t?.close();
});

describe('encrypted at rest', () => {
  test('no plaintext marker appears in any text, bytea or jsonb column of any table', async () => {
    const markers = ['MARKERAONE7391', 'MARKERATWO5128', 'MARKERBONE8802'];
    const hits = await t.database.db.tx(async (ex) => {
      const { rows: cols } = await ex.query<{
        table_schema: string;
        table_name: string;
        column_name: string;
        data_type: string;
      }>(
        `SELECT c.table_schema, c.table_name, c.column_name, c.data_type FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
          WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
            AND c.data_type IN ('text', 'character varying', 'bytea', 'jsonb', 'json', 'ARRAY')`,
      );
      expect(cols.length).toBeGreaterThan(10);
      const found: string[] = [];
      for (const c of cols) {
        const col = `"${c.column_name}"`;
        const expr =
          c.data_type === 'bytea'
            ? `position(convert_to($1, 'UTF8') in ${col}) > 0 OR position(convert_to(lower($1), 'UTF8') in ${col}) > 0`
            : `${col}::text ILIKE '%' || $1 || '%'`;
        for (const m of markers) {
          const { rows } = await ex.query(
            `SELECT 1 FROM "${c.table_schema}"."${c.table_name}" WHERE ${expr} LIMIT 1`,
            [m],
          );
          if (rows.length) found.push(`${c.table_name}.${c.column_name}: ${m}`);
        }
      }
      return found;
    });
    expect(hits).toEqual([]);
  });

  test('ciphertext moved between rows, fields or tenants fails to decrypt (500 decryption_failed, process keeps serving)', async () => {
    const ex = t.database.db;
    const swap = async (sql: string, params: unknown[]) => ex.tx((c) => c.query(sql, params));
    // Between rows of one tenant: a2's display name onto a1.
    await swap(
      `UPDATE mailboxes SET display_name_ct = (SELECT display_name_ct FROM mailboxes WHERE id = $2) WHERE id = $1`,
      [mailboxes.a1, mailboxes.a2],
    );
    let res = await t.app.inject({
      method: 'GET',
      url: `/v1/mailboxes/${mailboxes.a1}`,
      headers: bearer(a.token),
    });
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('decryption_failed');
    expect(res.body).not.toMatch(/MARKER/);
    // Between fields of one row.
    await swap(`UPDATE mailboxes SET display_name_ct = address_ct WHERE id = $1`, [mailboxes.a2]);
    res = await t.app.inject({
      method: 'GET',
      url: `/v1/mailboxes/${mailboxes.a2}`,
      headers: bearer(a.token),
    });
    expect(res.json().code).toBe('decryption_failed');
    // Between tenants.
    await swap(
      `UPDATE mailboxes SET address_ct = (SELECT address_ct FROM mailboxes WHERE id = $2) WHERE id = $1`,
      [mailboxes.b1, mailboxes.a1],
    );
    res = await t.app.inject({
      method: 'GET',
      url: `/v1/mailboxes/${mailboxes.b1}`,
      headers: bearer(b.token),
    });
    expect(res.json().code).toBe('decryption_failed');
    // A flipped bit in a wrapped data key.
    await swap(
      `UPDATE data_keys SET wrapped = set_byte(wrapped, 20, get_byte(wrapped, 20) # 1) WHERE tenant_id = $1 AND purpose = 'index'`,
      [a.id],
    );
    res = await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(a.token),
      payload: { provider: 'local', address: 'x@example.com' },
    });
    expect(res.json().code).toBe('decryption_failed');
    // The process is still fine.
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('crypto-shredding', () => {
  test('after disconnect the content endpoints answer 410 and no key in any keyring opens the ciphertext', async () => {
    const id = await mkMailbox(b.token, 'SHREDMARK1');
    const {
      rows: [before],
    } = await t.database.db.tx((c) =>
      c.query('SELECT display_name_ct FROM mailboxes WHERE id = $1', [id]),
    );
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/v1/mailboxes/${id}`,
          headers: bearer(b.token),
        })
      ).statusCode,
    ).toBe(200);
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/mailboxes/${id}`,
      headers: bearer(b.token),
    });
    expect(res.statusCode).toBe(410);
    expect(res.json().code).toBe('mailbox_data_destroyed');
    const { rows: keys } = await t.database.db.tx((c) =>
      c.query(`SELECT wrapped, kek_id, destroyed_at FROM data_keys WHERE mailbox_id = $1`, [id]),
    );
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ wrapped: null, kek_id: null });
    // Every other data key of every tenant, unwrapped with the whole keyring, fails on it.
    const svc = makeKeyService(makeLocalKeyProvider(parseKeyringSpec(keyring)));
    const { rows: all } = await t.database.db.tx((c) =>
      c.query(`SELECT id, tenant_id FROM data_keys WHERE wrapped IS NOT NULL`),
    );
    let tried = 0;
    for (const row of all) {
      let dek: DataKey;
      try {
        dek = await t.database.db.tx((c) => svc.keyById(c, row.tenant_id, row.id));
      } catch {
        continue; // rotated or tampered above
      }
      tried++;
      expect(() =>
        open(dek, before.display_name_ct, {
          tenantId: b.id,
          scope: id,
          field: 'mailboxes.display_name',
          rowId: id,
        }),
      ).toThrow();
    }
    expect(tried).toBeGreaterThan(0);
  });
});

describe('key rotation', () => {
  test('rotate, then run with the old key removed: everything still reads; a keyring without the needed key refuses to start', async () => {
    const b2 = await mkMailbox(b.token, 'ROTATEMARK1');
    const [k1] = parseKeyringSpec(keyring);
    const k2 = generateKek('k2');
    const both = makeKeyService(makeLocalKeyProvider([k1!, k2]));
    const {
      rows: [tampered],
    } = await t.database.db.tx((c) =>
      c.query(`SELECT id FROM data_keys WHERE tenant_id = $1 AND purpose = 'index'`, [a.id]),
    );
    const { rewrapped, failed } = await both.rewrapAll(t.database.db);
    expect(rewrapped).toBeGreaterThanOrEqual(8); // 2 tenants × 3 + mailboxes, less the tampered one
    expect(failed).toEqual([tampered.id]); // the key whose bit was flipped above is reported, not silently kept
    const { rows } = await t.database.db.tx((c) =>
      c.query(
        `SELECT kek_id, count(*)::int AS n FROM data_keys WHERE wrapped IS NOT NULL GROUP BY kek_id ORDER BY kek_id`,
      ),
    );
    expect(rows).toEqual([
      { kek_id: 'k1', n: 1 },
      { kek_id: 'k2', n: rewrapped },
    ]);

    const only2 = makeKeyService(makeLocalKeyProvider([k2]));
    await t.database.db.tx((c) => c.query('DELETE FROM data_keys WHERE id = $1', [tampered.id])); // the incident, cleaned up
    expect(await t.database.db.tx((c) => only2.missingKekIds(c))).toEqual([]);
    const view = await t.database.db.tenantTx(b.id, async (c) => {
      const dek = await only2.mailboxKey(c, b.id, b2);
      const {
        rows: [m],
      } = await c.query('SELECT display_name_ct FROM mailboxes WHERE id = $1', [b2]);
      return open(dek, m.display_name_ct, {
        tenantId: b.id,
        scope: b2,
        field: 'mailboxes.display_name',
        rowId: b2,
      }).toString();
    });
    expect(view).toBe('Name ROTATEMARK1');

    // A keyring that lacks k2 (e.g. a freshly generated dev key) is refused at boot.
    const stranger = makeKeyService(makeLocalKeyProvider([generateKek('k9')]));
    expect(await t.database.db.tx((c) => stranger.missingKekIds(c))).toEqual(['k2']);
  });
});
