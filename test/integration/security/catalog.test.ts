// The database catalogue keeps the isolation rules a migration could silently break (controls 45,
// 47 and 48 of ../shared/docs/security.md): the table owner bypasses row-level security unless it
// is FORCEd, foreign keys bypass it altogether (so one that leaves tenant_id out can point at another
// tenant's row), views run as their owner unless security_invoker, and a SECURITY DEFINER function
// runs as the owner for any caller allowed to execute it. A new table, key, view or function must
// meet these rules or be named below with the reason.
import { afterAll, beforeAll, expect, test } from 'vitest';

import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

/** Tables without tenant_id, and why they hold no tenant's rows. */
const untenanted: Record<string, string> = {
  tenants: 'the tenant rows themselves (RLS on id)',
  worker_heartbeats: 'one liveness row per worker process, no tenant data',
  inlet_migrations: 'applied migration names, owner only',
  kek_epochs: 'key-encryption key ids and dates, shared by every tenant; no key material',
};

/** SECURITY DEFINER functions: each does one owner-only thing for the application role. */
const definers: Record<string, string> = {
  inlet_add_job: 'enqueue into graphile_worker, which the application role cannot write',
  inlet_add_mailbox_job: 'enqueue a mailbox job on its routed queue',
  inlet_expire_credential_opens:
    "delete 'credentials.open' audit records past their window (at least 90 days), nothing else",
  inlet_next_ticket_number: 'create and draw the per-tenant ticket number sequence',
};

let d: TestDatabase;
beforeAll(async () => {
  d = await createTestDatabase();
});
afterAll(async () => {
  await d?.drop();
});

const rows = <T>(sql: string) => d.owner.tx(async (c) => (await c.query(sql)).rows as T[]);

test('every public table has row-level security enabled and forced, with policies', async () => {
  const tables = await rows<{
    name: string;
    tenant: boolean;
    rls: boolean;
    force: boolean;
    policies: number;
  }>(
    `SELECT c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
            EXISTS (SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant,
            (SELECT count(*) FROM pg_policies p
              WHERE p.schemaname = 'public' AND p.tablename = c.relname)::int AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
  );
  expect(tables.length).toBeGreaterThan(20);
  for (const t of tables) {
    if (!t.tenant) {
      expect(
        untenanted[t.name],
        `${t.name} has no tenant_id: add tenant_id or a reason`,
      ).toBeDefined();
      continue;
    }
    expect({ table: t.name, rls: t.rls, force: t.force }).toEqual({
      table: t.name,
      rls: true,
      force: true,
    });
    expect(t.policies, `${t.name} has no policy`).toBeGreaterThan(0);
  }
  for (const name of ['tenants', 'worker_heartbeats'])
    expect(tables.find((t) => t.name === name)).toMatchObject({ rls: true, force: true });
});

test("a foreign key to a tenant's table includes tenant_id on both sides", async () => {
  const keys = await rows<{ name: string; child: string[]; parent: string[] }>(
    `SELECT con.conname AS name,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord) AS child,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord) AS parent
       FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
      WHERE n.nspname = 'public' AND con.contype = 'f'
        AND EXISTS (SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = con.confrelid AND a.attname = 'tenant_id' AND NOT a.attisdropped)`,
  );
  expect(keys.length).toBeGreaterThan(10);
  for (const k of keys) {
    const i = k.child.indexOf('tenant_id');
    expect(i, `${k.name} leaves tenant_id out`).toBeGreaterThanOrEqual(0);
    expect(k.parent[i], `${k.name} pairs tenant_id with ${k.parent[i]}`).toBe('tenant_id');
  }
});

test('views run as their caller, and SECURITY DEFINER functions are the reviewed ones, pinned and not public', async () => {
  const views = await rows<{ name: string; options: string[] | null }>(
    `SELECT c.relname AS name, c.reloptions AS options FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')`,
  );
  for (const v of views)
    expect(v.options ?? [], `view ${v.name}`).toContain('security_invoker=true');
  const fns = await rows<{ name: string; config: string[] | null; public: boolean }>(
    `SELECT p.proname AS name, p.proconfig AS config,
            has_function_privilege('public', p.oid, 'EXECUTE') AS public
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prosecdef AND n.nspname = 'public'`,
  );
  expect(fns.map((f) => f.name).sort()).toEqual(Object.keys(definers).sort());
  for (const f of fns) {
    // Without a fixed search_path the caller's own schema could shadow what the owner's code calls.
    expect(
      f.config?.some((c) => c.startsWith('search_path=')),
      `${f.name} search_path`,
    ).toBe(true);
    expect(f.public, `${f.name} executable by PUBLIC`).toBe(false);
  }
});
