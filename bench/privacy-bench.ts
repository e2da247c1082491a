// Privacy lifecycle at size: one address erased among 100,000 messages, and one retention sweep.
// The bulk is seeded with SQL (10,000 tickets × 10 messages from 5,000 senders; placeholder
// ciphertext — erasure and retention select by blind index and dates, they never open those rows),
// the erased person's 20 messages (10 tickets, 10 of them shared with other people) go through the
// real pipeline. Prints wall times; no target, figures only.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { loadConfig } from '../src/config.js';
import { makeLogger } from '../src/lib/logger.js';
import { planErasure, runErasure } from '../src/privacy/erase.js';
import { planRetention, runRetention } from '../src/privacy/retention.js';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js';
import { systemActor } from '../src/tenancy/actor.js';
import { mail } from '../test/helpers/mail.js';
import { migratedBenchContainer } from './lib/bench-db.js';

const logger = makeLogger({ level: 'silent' });
const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-privacy-bench-'));
  const pg = await startEmbeddedPostgres(dir, logger);
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: pg.url,
      CLAMD_PORT: '1',
      CLAMD_TIMEOUT_MS: '200',
    });
    const c = await migratedBenchContainer(config, logger, pg.url);
    try {
      const { tenant } = await c.tenants.createTenant('bench', {
        actor: 'operator',
        requestId: null,
        clientIp: null,
      });
      const actor = { ...systemActor(tenant.id, 'bench'), scopes: new Set<never>() };
      const mb = await c.mailboxes.createLocal(actor, {
        address: 'support@bench.example',
        displayName: null,
      });
      for (let i = 0; i < 10; i++) {
        await c.pipeline.ingest({
          tenantId: tenant.id,
          mailboxId: mb.id,
          providerMessageId: `p${i}`,
          providerThreadId: null,
          raw: mail({
            from: 'pat@client.example',
            subject: `Pat ${i}`,
            text: `pat ${i}`,
            messageId: `pat-${i}@client.example`,
          }),
        });
        await c.pipeline.ingest({
          tenantId: tenant.id,
          mailboxId: mb.id,
          providerMessageId: `q${i}`,
          providerThreadId: null,
          raw: mail({
            from: `other${i}@client.example`,
            text: `other ${i}`,
            inReplyTo: `<pat-${i}@client.example>`,
          }),
        });
        await c.pipeline.ingest({
          tenantId: tenant.id,
          mailboxId: mb.id,
          providerMessageId: `r${i}`,
          providerThreadId: null,
          raw: mail({
            from: 'pat@client.example',
            text: `pat again ${i}`,
            inReplyTo: `<pat-${i}@client.example>`,
          }),
        });
      }
      let t0 = performance.now();
      await c.db.tx(async (ex) => {
        await ex.query(
          `INSERT INTO tickets (id, tenant_id, number, mailbox_id, status, subject_ct, requester_bidx, last_activity_at, updated_at)
           SELECT md5('t' || g)::uuid, $1, 1000000 + g, $2, CASE WHEN g % 4 = 0 THEN 'closed' ELSE 'open' END, '\\x01'::bytea, decode(md5((g % 5000)::text), 'hex'),
                  now() - make_interval(days => g % 500), now() - make_interval(days => g % 500)
             FROM generate_series(0, 9999) g`,
          [tenant.id, mb.id],
        );
        await ex.query(
          `INSERT INTO messages (id, tenant_id, ticket_id, mailbox_id, direction, message_id_bidx, kind, thread_rule, from_bidx, headers_ct, text_ct)
           SELECT md5('m' || g)::uuid, $1, md5('t' || (g / 10))::uuid, $2, 'inbound', decode(md5('mid' || g), 'hex'), 'human', 'new_ticket',
                  decode(md5(((g / 10) % 5000)::text), 'hex'), '\\x01'::bytea, '\\x01'::bytea
             FROM generate_series(0, 99999) g`,
          [tenant.id, mb.id],
        );
        await ex.query(
          `INSERT INTO ticket_participants (tenant_id, ticket_id, address_bidx)
           SELECT $1, md5('t' || g)::uuid, decode(md5((g % 5000)::text), 'hex') FROM generate_series(0, 9999) g`,
          [tenant.id],
        );
        await ex.query('ANALYZE');
      });
      console.log(`seeded 10,000 tickets and 100,000 messages by SQL in ${ms(t0)}`);

      t0 = performance.now();
      const plan = await c.db.tenantTx(tenant.id, (ex) =>
        planErasure(ex, c.keys, tenant.id, 'pat@client.example'),
      );
      console.log(
        `erase dry run (1 address among 100,030 messages): ${ms(t0)} ${JSON.stringify(plan)}`,
      );
      t0 = performance.now();
      const erased = await c.db.tenantTx(tenant.id, (ex) =>
        runErasure(ex, c.keys, tenant.id, 'pat@client.example'),
      );
      console.log(`erase (1 address among 100,030 messages): ${ms(t0)} ${JSON.stringify(erased)}`);

      await c.retention.set(actor, { mailboxId: null, inactiveDays: 450, closedDays: 365 });
      t0 = performance.now();
      const due = await c.db.tenantTx(tenant.id, (ex) => planRetention(ex, tenant.id, new Date()));
      console.log(`retention dry run: ${ms(t0)} ${JSON.stringify(due)}`);
      t0 = performance.now();
      const receipt = await runRetention({ db: c.db, epochs: c.privacyDeps.epochs }, tenant.id, {
        batchSize: 200,
      });
      console.log(
        `retention sweep (200 tickets per transaction): ${ms(t0)} ${JSON.stringify(receipt.counts)}`,
      );
      const sorted = (o: Record<string, number>) => JSON.stringify(Object.entries(o).sort());
      if (sorted(receipt.counts) !== sorted(due))
        throw new Error('retention run counts differ from its dry run');
    } finally {
      await c.close();
    }
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
