// The stack the pipeline bench runs against (embedded PostgreSQL, clamd when installed, the
// container), a fresh tenant per round, and dealing the corpus out to concurrent workers.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { loadConfig } from '../../src/config.js';
import type { Container } from '../../src/container.js';
import { makeLogger } from '../../src/lib/logger.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { startClamd } from '../../test/helpers/clamd.js';
import { migratedBenchContainer } from './bench-db.js';
import { statementFlags } from './pg-statements.js';
import { pgSettings, pgStatements } from './pipeline-options.js';
import { postgresPids } from './pipeline-procs.js';
import type { PipelineBenchResult } from './pipeline-report.js';

const logger = makeLogger({ level: 'silent' });

export async function freshTenant(c: Container): Promise<{ tenantId: string; mailboxId: string }> {
  const { tenant } = await c.tenants.createTenant(`bench-${Date.now()}`, {
    actor: 'operator',
    requestId: null,
    clientIp: null,
  });
  const actor = { ...systemActor(tenant.id, 'bench'), scopes: new Set<never>() };
  const mb = await c.mailboxes.createLocal(actor, {
    address: `support-${Date.now()}@bench.example`,
    displayName: null,
  });
  return { tenantId: tenant.id, mailboxId: mb.id };
}

export async function withStack<T>(
  fn: (
    c: Container,
    scanner: PipelineBenchResult['scanner'],
    clamdPid: () => number | undefined,
    pgPids: () => number[],
  ) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-bench-'));
  const pg = await startEmbeddedPostgres(dir, logger, 'inlet', {
    flags: [...(pgStatements ? statementFlags : []), ...pgSettings],
  });
  // Every round scans the same corpus: without this, clamd answers all but the first from its cache.
  const clamd = await startClamd({ disableCache: true }).catch(() => null);
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: pg.url,
      CLAMD_PORT: String(clamd?.port ?? 1),
      WORKER_CONCURRENCY: '4',
    });
    const c = await migratedBenchContainer(config, logger, pg.url);
    try {
      return await fn(
        c,
        clamd ? 'clamd' : 'none (attachments pending)',
        () => clamd?.pid,
        () => postgresPids(path.join(dir, 'pg')),
      );
    } finally {
      await c.close();
    }
  } finally {
    await clamd?.dispose();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** The corpus dealt out to `n` mailboxes, as `n` sync jobs would each receive their own mail. */
export function streams(messages: Buffer[], n: number): { raw: Buffer; i: number }[][] {
  const out = Array.from({ length: n }, () => [] as { raw: Buffer; i: number }[]);
  messages.forEach((raw, i) => out[i % n]!.push({ raw, i }));
  return out;
}
