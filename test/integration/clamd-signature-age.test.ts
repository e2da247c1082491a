// security.md control 34: clamd's signatures older than CLAMD_SIGNATURES_MAX_AGE_HOURS degrade
// /readyz (200, status degraded, checks.scanner stale_signatures) and show in
// inlet_clamd_signatures_age_seconds. A fake clamd answers VERSION with a database date we choose.
import { createServer, type Server } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeTestApp, type TestApp } from '../helpers/app.js';

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');
/** C ctime() form in UTC, as clamd prints its daily database's build time. */
const ctime = (d: Date) =>
  `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;

/** Answers zVERSION with `answer`; anything else gets clamd's "UNKNOWN COMMAND". */
async function fakeClamd(answer: () => string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (data) => {
      socket.end(
        data.toString('latin1').startsWith('zVERSION') ? `${answer()}\0` : 'UNKNOWN COMMAND\0',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

describe('clamd signature age', () => {
  const built = hoursAgo(30);
  const answer = () => `ClamAV 1.4.2/27480/${ctime(built)}`;
  let fake: Awaited<ReturnType<typeof fakeClamd>>;
  let t: TestApp;

  beforeAll(async () => {
    fake = await fakeClamd(() => answer());
    t = await makeTestApp({ CLAMD_HOST: '127.0.0.1', CLAMD_PORT: String(fake.port) });
  });
  afterAll(async () => {
    await t?.close();
    fake?.server.close();
  });

  const readyz = async () => {
    // The probe answers from the last VERSION; the metrics scrape asks again when it is due.
    await t.container.metrics.metrics();
    return t.app.inject({ url: '/readyz' });
  };
  const ageMetric = async () =>
    (await t.container.metrics.getSingleMetric('inlet_clamd_signatures_age_seconds')?.get())
      ?.values[0]?.value;

  it('reports a database older than 24 h as degraded, still 200, and exports its age', async () => {
    const res = await readyz();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'degraded',
      checks: { database: 'ok', scanner: 'stale_signatures' },
    });
    const age = await ageMetric();
    expect(age).toBeGreaterThan(29 * 3600);
    expect(age).toBeLessThan(31 * 3600);
  });
});
