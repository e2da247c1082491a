// serve and worker log in as a login role that is neither the owner nor a superuser (issue #14
// item 6). Shown by trying, on the connection the service itself uses: whatever SQL an injection
// runs there, it cannot become the owner, turn row-level security off or touch the audit log.
import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { loadConfig } from '../../../src/config.js';
import { freePort } from '../../../src/lib/free-port.js';
import { makeLogger } from '../../../src/lib/logger.js';
import { checkLoginRole, type Runtime } from '../../../src/main/runtime.js';
import { sqlUuid } from '../../../src/store/db.js';
import { inspectLoginRole } from '../../../src/store/role-check.js';
import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { runCli } from '../../helpers/cli.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../../helpers/tenants.js';

let t: TestApp;
let a: Awaited<ReturnType<typeof createTenant>>;
let b: Awaited<ReturnType<typeof createTenant>>;
let owner: string;

beforeAll(async () => {
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: testKeyring() });
  a = await createTenant(t, 'A');
  b = await createTenant(t, 'B');
  const created = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: bearer(b.token),
    payload: { provider: 'local', address: 'help@b.example' },
  });
  expect(created.statusCode).toBe(201);
  owner = (
    await t.database.owner.tx((c) =>
      c.query<{ o: string }>(`SELECT tableowner AS o FROM pg_tables WHERE tablename = 'tenants'`),
    )
  ).rows[0]!.o;
});
afterAll(async () => {
  await t?.close();
});

/** Runs `sql` inside one of tenant A's transactions, the way an injected statement would. */
function injected(sql: string): Promise<pg.QueryResult> {
  return t.database.db.tenantTx(a.id, (c) => c.query(sql));
}

describe('the connection serve and worker use', () => {
  test('logs in as a non-owner, non-superuser role', async () => {
    const { rows } = await t.database.db.tx((c) =>
      c.query<{ u: string; su: boolean; bypass: boolean }>(
        `SELECT session_user AS u, rolsuper AS su, rolbypassrls AS bypass FROM pg_roles WHERE rolname = session_user`,
      ),
    );
    expect(rows[0]).toMatchObject({ su: false, bypass: false });
    expect(rows[0]!.u).not.toBe(owner);
    expect((await inspectLoginRole(t.database.db.pool)).problems).toEqual([]);
  });

  test('cannot SET ROLE to the owner, before or after RESET ROLE', async () => {
    await expect(injected(`SET ROLE ${owner}`)).rejects.toThrow(/permission denied/);
    await expect(injected(`RESET ROLE; SET ROLE ${owner}`)).rejects.toThrow(/permission denied/);
    // RESET ROLE itself lands on the login role, not on anything that owns a table.
    const { rows } = await t.database.db.tenantTx(a.id, async (c) => {
      await c.query('RESET ROLE');
      return c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND pg_has_role(current_user, tableowner, 'MEMBER')`,
      );
    });
    expect(rows[0]!.n).toBe(0);
  });

  test("reads none of another tenant's rows inside a tenant transaction", async () => {
    const { rows } = await injected(
      `SELECT count(*)::int AS n FROM mailboxes WHERE tenant_id = '${b.id}'`,
    );
    expect(rows[0].n).toBe(0);
    const own = await t.database.owner.tx((c) =>
      c.query(`SELECT count(*)::int AS n FROM mailboxes WHERE tenant_id = $1`, [b.id]),
    );
    expect(own.rows[0].n).toBe(1);
  });

  test("a one-round-trip tenant read (db.tenantRead) reads none of another tenant's rows, and the connection is back to the login role after it", async () => {
    const db = t.database.db;
    const count = `SELECT current_user AS u, count(*)::int AS n FROM mailboxes WHERE tenant_id = ${sqlUuid(b.id)}`;
    expect(await db.tenantRead(a.id, count)).toEqual([{ u: 'inlet_app', n: 0 }]);
    expect(await db.tenantRead(b.id, count)).toEqual([{ u: 'inlet_app', n: 1 }]);
    // A failing read rolls back its role and tenant with it; the pooled connection is clean.
    await expect(db.tenantRead(a.id, 'SELECT 1/0')).rejects.toThrow(/division by zero/);
    const after = await db.pool.query<{ login: boolean; tenant: string | null }>(
      `SELECT current_user = session_user AS login, nullif(current_setting('inlet.tenant_id', true), '') AS tenant`,
    );
    expect(after.rows[0]).toEqual({ login: true, tenant: null });
    expect(() => sqlUuid("x'; DROP TABLE tickets; --")).toThrow();
  });

  test("a transaction whose first read goes with BEGIN (db.tenantTxOpening) reads none of another tenant's rows, holds its role and tenant to COMMIT, and rolls back whole", async () => {
    const db = t.database.db;
    const count = `SELECT current_user AS u, count(*)::int AS n FROM mailboxes WHERE tenant_id = ${sqlUuid(b.id)}`;
    const inside = await db.tenantTxOpening<{ u: string; n: number }, unknown>(
      a.id,
      count,
      async (ex, opened) => {
        const later = await ex.query(count);
        return { opened, later: later.rows };
      },
    );
    expect(inside).toEqual({
      opened: [{ u: 'inlet_app', n: 0 }],
      later: [{ u: 'inlet_app', n: 0 }],
    });
    expect(await db.tenantTxOpening(b.id, count, async (_ex, opened) => opened)).toEqual([
      { u: 'inlet_app', n: 1 },
    ]);
    // A failing opening fails the transaction; the pooled connection is back on the login role.
    await expect(db.tenantTxOpening(a.id, 'SELECT 1/0', async () => 'ran')).rejects.toThrow(
      /division by zero/,
    );
    const after = await db.pool.query<{ login: boolean; tenant: string | null }>(
      `SELECT current_user = session_user AS login, nullif(current_setting('inlet.tenant_id', true), '') AS tenant`,
    );
    expect(after.rows[0]).toEqual({ login: true, tenant: null });
  });

  test('cannot delete or rewrite the audit log, nor delete a tenant (whose cascade would)', async () => {
    const before = (
      await t.database.owner.tx((c) => c.query(`SELECT count(*)::int AS n FROM audit_log`))
    ).rows[0].n as number;
    expect(before).toBeGreaterThan(0);
    for (const sql of [
      'DELETE FROM audit_log',
      'RESET ROLE; DELETE FROM audit_log',
      `RESET ROLE; UPDATE audit_log SET action = 'forged'`,
      'RESET ROLE; TRUNCATE audit_log',
      `RESET ROLE; DELETE FROM tenants WHERE id = '${b.id}'`,
    ])
      await expect(injected(sql), sql).rejects.toThrow(/permission denied/);
    const after = (
      await t.database.owner.tx((c) => c.query(`SELECT count(*)::int AS n FROM audit_log`))
    ).rows[0].n as number;
    expect(after).toBe(before);
  });

  test('cannot turn row-level security off, change policies or run DDL', async () => {
    for (const sql of [
      'RESET ROLE; ALTER TABLE mailboxes DISABLE ROW LEVEL SECURITY',
      'RESET ROLE; ALTER TABLE mailboxes NO FORCE ROW LEVEL SECURITY',
      'RESET ROLE; DROP POLICY tenant_isolation ON mailboxes',
      'RESET ROLE; CREATE POLICY open ON mailboxes TO inlet_app USING (true)',
      'RESET ROLE; DROP TRIGGER audit_log_no_update ON audit_log',
      'RESET ROLE; CREATE TABLE loot (v text)',
      'RESET ROLE; ALTER ROLE CURRENT_USER BYPASSRLS',
      'RESET ROLE; SET session_replication_role = replica',
      `RESET ROLE; SELECT pg_read_file('PG_VERSION')`,
      `RESET ROLE; COPY (SELECT 1) TO PROGRAM 'true'`,
      `RESET ROLE; UPDATE inlet_migrations SET checksum = 'x'`,
    ])
      await expect(injected(sql), sql).rejects.toThrow(/permission denied|must be owner|must be/);
  });
});

describe('production refuses a DATABASE_URL that could turn tenant isolation off', () => {
  const prodEnv = () => ({
    NODE_ENV: 'production',
    INLET_MASTER_KEYS: testKeyring(),
    DATABASE_URL: t.database.url,
  });
  const runtimeFor = (env: Record<string, string>): Runtime =>
    ({
      config: loadConfig(env),
      logger: makeLogger({ level: 'silent' }),
    }) as unknown as Runtime;

  test('the owner (here a superuser) is refused, the login role accepted', async () => {
    const ownerPool = new pg.Pool({ connectionString: t.database.ownerUrl, max: 1 });
    try {
      await expect(checkLoginRole(runtimeFor(prodEnv()), ownerPool)).rejects.toThrow(
        /is a superuser.*DATABASE_OWNER_URL/,
      );
    } finally {
      await ownerPool.end();
    }
    await expect(
      checkLoginRole(runtimeFor(prodEnv()), t.database.db.pool),
    ).resolves.toBeUndefined();
  });

  test('a non-superuser that owns the tables, or can SET ROLE to their owner, is refused', async () => {
    const suffix = randomBytes(4).toString('hex');
    const tableOwner = `inlet_test_owner_${suffix}`;
    const member = `inlet_test_member_${suffix}`;
    const password = randomBytes(12).toString('hex');
    await t.database.owner.tx(async (c) => {
      await c.query(`CREATE ROLE ${tableOwner} LOGIN PASSWORD '${password}'`);
      await c.query(`CREATE ROLE ${member} LOGIN PASSWORD '${password}' IN ROLE ${tableOwner}`);
      await c.query(`ALTER TABLE webhook_endpoints OWNER TO ${tableOwner}`);
    });
    const as = (role: string) => {
      const u = new URL(t.database.ownerUrl);
      u.username = role;
      u.password = password;
      return new pg.Pool({ connectionString: u.toString(), max: 1 });
    };
    try {
      for (const [role, why] of [
        [tableOwner, `role ${tableOwner} owns Inlet's tables`],
        [member, `role ${member} can SET ROLE to ${tableOwner}`],
      ] as const) {
        const pool = as(role);
        try {
          await expect(checkLoginRole(runtimeFor(prodEnv()), pool)).rejects.toThrow(why);
        } finally {
          await pool.end();
        }
      }
    } finally {
      await t.database.owner.tx(async (c) => {
        await c.query(`ALTER TABLE webhook_endpoints OWNER TO ${owner}`);
        await c.query(`DROP ROLE ${member}`);
        await c.query(`DROP ROLE ${tableOwner}`);
      });
    }
  });

  test('`inlet serve` in production exits with the reason when DATABASE_URL is the owner', async () => {
    const p = runCli(['serve'], {
      ...prodEnv(),
      DATABASE_URL: t.database.ownerUrl,
      PORT: String(await freePort()),
    });
    const exit = await p.exited;
    expect(exit.code, p.output()).toBe(1);
    expect(p.output()).toMatch(
      /DATABASE_URL logs in as \S+, which could turn tenant isolation off/,
    );
    expect(p.output()).toMatch(/DATABASE_OWNER_URL/);
  });
});
