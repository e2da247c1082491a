// Backfill speed of one Gmail mailbox as a share of Gmail's per-user quota ceiling (15,000 units a
// minute; messages.get costs 5, so a raw backfill tops out at 50 messages/s), and the pacer's rate
// measured alone, without the pipeline behind it.
import type { Container } from '../../src/container.js';
import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { mail } from '../../test/helpers/mail.js';
import { connectAll } from './gmail-connect.js';
import type { GoogleFakeProcess } from './google-fake-process.js';

export interface GmailBackfill {
  messages: number;
  seconds: number;
  perSecond: number;
  unitsPerMinute: number;
  quotaShare: number;
  /** Answers of 429 (or 403 rate reasons) Gmail gave the backfill: pacing should leave none. */
  rateLimited: number;
  /** The same messages fetched again, 8 at a time, without the pipeline: the pacer's own rate. */
  fetchOnly: { seconds: number; quotaShare: number; rateLimited: number };
}

export async function backfillBench(
  c: Container,
  fake: GoogleFakeProcess,
  tenantId: string,
  n: number,
): Promise<GmailBackfill> {
  const email = 'backfill@bench.example';
  await fake.addUser(email);
  for (let i = 0; i < n; i++)
    await fake.deliver(
      email,
      mail({ to: email, subject: `backfill ${i}`, text: `message ${i} `.repeat(40) }),
    );
  const id = (await connectAll(c, fake, tenantId, [email])).get(email)!;
  await c.db.tx((ex) =>
    ex.query(`UPDATE mailboxes SET backfill_max_messages = NULL WHERE id = $1`, [id]),
  );
  const before = (await fake.callLog()).length;
  const t0 = performance.now();
  const r = await syncMailbox({ ...c, pageSize: 100 }, tenantId, id);
  const seconds = (performance.now() - t0) / 1000;
  const log = (await fake.callLog()).slice(before);
  const units = log
    .filter((x) => x.user === email && x.status === 200)
    .reduce(
      (sum, x) =>
        sum +
        (
          {
            'users.messages.get': 5,
            'users.messages.list': 5,
            'users.history.list': 2,
            'users.getProfile': 1,
          } as Record<string, number>
        )[x.operation]!,
      0,
    );
  const unitsPerMinute = (units / seconds) * 60;
  const rateLimited = log.filter(
    (x) => x.user === email && (x.status === 429 || x.status === 403),
  ).length;
  return {
    messages: r.stored,
    seconds,
    perSecond: r.stored / seconds,
    unitsPerMinute,
    quotaShare: unitsPerMinute / 15_000,
    rateLimited,
    fetchOnly: await fetchOnly(c, fake, tenantId, id, email),
  };
}

/**
 * The pacing alone: every message of the backfill fetched again through the provider, 8 in flight
 * and no pipeline behind them, so a busy machine's ingest speed does not set the rate.
 */
async function fetchOnly(
  c: Container,
  fake: GoogleFakeProcess,
  tenantId: string,
  mailboxId: string,
  email: string,
): Promise<GmailBackfill['fetchOnly']> {
  const { rows } = await c.db.tx((ex) =>
    ex.query<{ id: string }>(
      'SELECT provider_message_id AS id FROM message_deliveries WHERE mailbox_id = $1',
      [mailboxId],
    ),
  );
  const provider = await c.db.tenantTx(tenantId, (ex) =>
    c.providerFor(ex, c.keys, tenantId, mailboxId, 'sync'),
  );
  const mark = (await fake.callLog()).length;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < rows.length) await provider.fetchRaw({ providerMessageId: rows[next++]!.id });
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await provider.close();
  const calls = (await fake.callLog()).slice(mark).filter((x) => x.user === email);
  const units = 5 * calls.filter((x) => x.status === 200).length;
  return {
    seconds,
    quotaShare: ((units / seconds) * 60) / 15_000,
    rateLimited: calls.filter((x) => x.status === 429 || x.status === 403).length,
  };
}
