// Fault: PostgreSQL paused (SIGSTOP of the postmaster, 5 s) right after `inlet start` applied its
// migrations — the moment the job runner first looks up its tasks. Before the runner was
// supervised, that lookup failed once and was cached: no job ever ran again while /readyz said
// ready. Invariants: a job added after the pause runs; /readyz is false while jobs cannot run and
// says so (`checks.worker`); with a 2 s stall limit the stall is logged at ERROR.
import { afterAll, describe, expect, it } from 'vitest';

import { freePort } from '../../src/lib/free-port.js';
import { type CliProcess, runCli } from '../helpers/cli.js';
import { logLines, pollUntil, readyz } from '../helpers/fault.js';
import {
  type PausablePostgres,
  query,
  startPausablePostgres,
} from '../helpers/pausable-postgres.js';
import { testKeyring } from '../helpers/tenants.js';

let pgs: PausablePostgres | undefined;
let app: CliProcess | undefined;

afterAll(async () => {
  pgs?.resume();
  if (app && app.child.exitCode === null && app.child.signalCode === null)
    app.child.kill('SIGKILL');
  await app?.exited;
  await pgs?.stop();
});

describe('fault: PostgreSQL paused at start-up', () => {
  it('jobs run again after the pause and /readyz is false while they cannot', async () => {
    pgs = await startPausablePostgres();
    const port = await freePort();
    app = runCli(['start'], {
      DATABASE_URL: pgs.url,
      DATABASE_OWNER_URL: pgs.ownerUrl,
      INLET_MASTER_KEYS: testKeyring(),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: String(port),
      CLAMD_PORT: '1',
      WORKER_STALL_ALERT_SECONDS: '2',
      WORKER_CONCURRENCY: '2',
    });
    // Pause the moment the migrations are done: the runner's start-up queries come next.
    let pausedAt = 0;
    const onData = (d: Buffer) => {
      if (!pausedAt && d.toString().includes('migrations up to date')) {
        pgs!.pause('postmaster');
        pausedAt = Date.now();
      }
    };
    app.child.stdout!.on('data', onData);
    app.child.stderr!.on('data', onData);
    const t0 = Date.now();
    await pollUntil('migrations done', async () => pausedAt > 0, 60_000);
    console.log(`fault pg-startup: migrations done after ${Date.now() - t0} ms`);
    const during: number[] = [];
    while (Date.now() - pausedAt < 5000) {
      during.push((await readyz(port, 1500)).status);
      await new Promise((r) => setTimeout(r, 250));
    }
    pgs.resume();
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s !== 200)).toBe(true);

    const [job] = await query<{ id: string }>(
      pgs.url,
      `SELECT (graphile_worker.add_job('oauth.sweep-states', '{}'::json)).id::text AS id`,
    );
    const ranIn = await pollUntil(
      'the job added after the pause ran',
      async () =>
        (await query(pgs!.url, 'SELECT 1 FROM graphile_worker.jobs WHERE id = $1', [job!.id]))
          .length === 0,
      60_000,
    );
    console.log(
      `fault pg-startup: paused 5 s at start-up; the job added after it ran in ${ranIn} ms`,
    );
    await pollUntil('ready again', async () => (await readyz(port, 3000)).status === 200, 30_000);
    expect((await readyz(port, 3000)).body).toMatchObject({
      status: 'ready',
      checks: { worker: 'ok' },
    });
    const errors = logLines(app.output()).filter((l) => l.level >= 40);
    // The stall (longer than the 2 s limit) was alertable: an ERROR line said the worker could not run jobs.
    expect(errors.some((l) => l.level >= 50 && /cannot run jobs/.test(String(l.msg)))).toBe(true);
  }, 120_000);
});
