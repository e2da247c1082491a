// When the soak's load may begin: every mailbox synced with its lease shared out among the workers,
// and Dovecot quiet (every IDLE connection up), so the logins counted after are Inlet's own.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { sleep } from './stats.js';

type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

export async function waitForLeases(q: Query, mailboxes: number, workers: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    // Ready once every mailbox is synced and the leases are shared out (a worker that started
    // later gets its share handed over, and each handed-over IDLE connection is a login).
    const [r] = await q<{ leased: number; synced: number; most: number; holders: number }>(
      `SELECT (SELECT count(*)::int FROM mailbox_leases WHERE expires_at > now()) AS leased,
              (SELECT count(*)::int FROM mailboxes WHERE last_sync_at IS NOT NULL) AS synced,
              (SELECT coalesce(max(n), 0)::int FROM (SELECT count(*) AS n FROM mailbox_leases GROUP BY holder) h) AS most,
              (SELECT count(DISTINCT holder)::int FROM mailbox_leases) AS holders`,
    );
    if (
      r!.leased === mailboxes &&
      r!.synced === mailboxes &&
      r!.holders === workers &&
      r!.most <= Math.ceil(mailboxes / workers)
    )
      break;
    if (Date.now() - t0 > 300_000) throw new Error(`not ready: ${JSON.stringify(r)}`);
    await sleep(500);
  }
}

/** IMAP logins Dovecot accepted for the soak's users (its log); each APPEND of the bench is one. */
export const soakLogins = async (dovecotDir: string): Promise<number> =>
  (await readFile(join(dovecotDir, 'dovecot.log'), 'utf8'))
    .split('\n')
    .filter((l) => l.includes('Login: user=<soak')).length;

/**
 * The login count once Dovecot has seen no new login for a few seconds (every watch connected,
 * first syncs done): leases are taken before their IDLE connections are up.
 */
export async function loginsWhenQuiet(dovecotDir: string): Promise<number> {
  let logins = await soakLogins(dovecotDir);
  for (const quietUntil = Date.now() + 60_000; Date.now() < quietUntil;) {
    await sleep(3000);
    const now = await soakLogins(dovecotDir);
    if (now === logins) break;
    logins = now;
  }
  return logins;
}
