import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { importMail } from '../../../src/import/import-mail.js';
import type { Pipeline } from '../../../src/ingest/pipeline.js';
import { runCli } from '../../helpers/cli.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';

let f: IngestFixture;
let dir: string;
beforeAll(async () => {
  f = await makeIngestFixture({
    INGEST_MAX_MESSAGE_BYTES: String(64 * 1024),
    INGEST_MAX_ATTEMPTS: '2',
  });
  dir = await mkdtemp(path.join(os.tmpdir(), 'inlet-import-'));
});
afterAll(async () => {
  await f?.t.close();
  await rm(dir, { recursive: true, force: true });
});

const count = async (sql: string, params: unknown[] = []) =>
  (await f.t.database.db.tx((c) => c.query(sql, params))).rows[0].n as number;

describe('nothing lost, nothing doubled', () => {
  test('an oversized message is parked with its reason and the raw kept encrypted; replay is not a second record', async () => {
    const big = mail({ text: 'x'.repeat(100 * 1024) });
    expect(await f.ingest(big, { providerMessageId: 'big-1' })).toEqual({
      status: 'parked',
      reason: 'message_too_large',
    });
    expect(await f.ingest(big, { providerMessageId: 'big-1' })).toEqual({
      status: 'duplicate',
      messageId: null,
    });
    expect(
      await count(
        `SELECT count(*)::int AS n FROM ingest_failures WHERE provider_message_id = 'big-1' AND parked_at IS NOT NULL AND raw_ct IS NOT NULL AND error_code = 'message_too_large'`,
      ),
    ).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE type = 'message.parked'`)).toBe(
      1,
    );
  });

  test('a message that keeps failing is parked after N attempts; the next message still goes through', async () => {
    // Breaking the data key for the duration makes storing fail deterministically.
    const poison = mail({ subject: 'poison' });
    await f.t.database.owner.tx((c) =>
      c.query(
        `ALTER TABLE messages ADD CONSTRAINT no_poison CHECK (cardinality(warnings) < 0) NOT VALID`,
      ),
    );
    await expect(f.ingest(poison, { providerMessageId: 'poison-1' })).rejects.toThrow();
    const second = await f.ingest(poison, { providerMessageId: 'poison-1' });
    expect(second).toEqual({ status: 'parked', reason: 'store_failed' });
    await f.t.database.owner.tx((c) => c.query(`ALTER TABLE messages DROP CONSTRAINT no_poison`));
    expect(await f.ingest(mail({ subject: 'next one' }))).toMatchObject({ status: 'stored' });
    expect(
      await count(
        `SELECT attempts AS n FROM ingest_failures WHERE provider_message_id = 'poison-1'`,
      ),
    ).toBe(2);
  });

  test('the same raw message imported by two processes at once is stored once', async () => {
    const file = path.join(dir, 'race.eml');
    await writeFile(file, mail({ subject: 'Race', messageId: 'race@client.example' }));
    const env = {
      DATABASE_URL: f.t.database.url,
      INLET_MASTER_KEYS: f.keyring,
      LOG_LEVEL: 'warn',
      CLAMD_PORT: '1',
      CLAMD_TIMEOUT_MS: '500',
    };
    const a = runCli(['import', file, '--mailbox', f.mailbox], env);
    const b = runCli(['import', file, '--mailbox', f.mailbox], env);
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect(ea.code, a.output()).toBe(0);
    expect(eb.code, b.output()).toBe(0);
    expect(a.output() + b.output()).toMatch(/tickets opened: +1/);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.direction = 'inbound' AND t.number = (SELECT max(number) FROM tickets)`,
      ),
    ).toBe(1);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM message_deliveries WHERE provider_message_id LIKE 'sha256:%'`,
      ),
    ).toBe(1);
  });

  test('inlet import reads an mbox file and a folder, prints a summary, and a second run stores nothing twice', async () => {
    const mbox = [
      `From customer@client.example Mon Jan  1 00:00:00 2026`,
      mail({
        subject: 'Mbox one',
        messageId: 'mbox-1@client.example',
        text: 'first\n>From here on, escaped',
      }).toString(),
      `From customer@client.example Mon Jan  1 00:01:00 2026`,
      mail({
        subject: 'Re: Mbox one',
        messageId: 'mbox-2@client.example',
        inReplyTo: '<mbox-1@client.example>',
      }).toString(),
    ].join('\n');
    await writeFile(path.join(dir, 'archive.mbox'), mbox);
    await rm(path.join(dir, 'race.eml'));
    const env = {
      DATABASE_URL: f.t.database.url,
      INLET_MASTER_KEYS: f.keyring,
      LOG_LEVEL: 'warn',
      CLAMD_PORT: '1',
      CLAMD_TIMEOUT_MS: '500',
    };
    const first = runCli(['import', dir, '--mailbox', f.mailbox], env);
    expect((await first.exited).code, first.output()).toBe(0);
    expect(first.output()).toMatch(/imported 2 messages/);
    expect(first.output()).toMatch(/tickets opened: +1/);
    expect(first.output()).toMatch(/threaded replies: +1/);
    const again = runCli(['import', dir, '--mailbox', f.mailbox], env);
    expect((await again.exited).code).toBe(0);
    expect(again.output()).toMatch(/duplicates: +2/);
    const bad = runCli(['import', dir, '--mailbox', '00000000-0000-4000-8000-000000000000'], env);
    expect((await bad.exited).code).toBe(1);
  });

  test('a re-run import hands nothing already on record to the pipeline, only what is new', async () => {
    const own = await mkdtemp(path.join(os.tmpdir(), 'inlet-rerun-'));
    try {
      for (const n of ['a', 'b'])
        await writeFile(
          path.join(own, `${n}.eml`),
          mail({ subject: `Rerun ${n}`, messageId: `rerun-${n}@client.example` }),
        );
      let handed = 0;
      const pipeline: Pick<Pipeline, 'ingestPage'> = {
        ingestPage: (inputs, opts) => {
          handed += inputs.length;
          return f.t.container.pipeline.ingestPage(inputs, opts);
        },
      };
      expect(await importMail({ db: f.t.container.db, pipeline }, own, f.mailbox)).toMatchObject({
        messages: 2,
        ticketsOpened: 2,
        duplicates: 0,
      });
      expect(handed).toBe(2);
      await writeFile(
        path.join(own, 'c.eml'),
        mail({ subject: 'Rerun c', messageId: 'rerun-c@client.example' }),
      );
      expect(await importMail({ db: f.t.container.db, pipeline }, own, f.mailbox)).toMatchObject({
        messages: 3,
        ticketsOpened: 1,
        duplicates: 2,
      });
      expect(handed).toBe(3);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
