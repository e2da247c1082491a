// The child of paced-load.ts: sends the requests of one run at their scheduled times over
// keep-alive connections (a new one only when every open one is busy) and reports the figures.
import http from 'node:http';

import type { PacedFigures, PacedRun } from './paced-load.js';
import { pct } from './stats.js';

function run(r: PacedRun): Promise<PacedFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const interval = 1000 / r.rate;
  const total = Math.round(r.rate * r.seconds);
  const latencies: number[] = [];
  let failed = 0;
  let sent = 0;
  let answered = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      const elapsed = (performance.now() - start) / 1000;
      agent.destroy();
      resolve({
        p50: pct(latencies, 50),
        p99: pct(latencies, 99),
        max: pct(latencies, 100),
        rps: latencies.length / elapsed,
        sent,
        failed,
      });
    };
    const done = (due: number, ok: boolean) => {
      if (ok) latencies.push(performance.now() - due);
      else failed++;
      if (++answered === total) finish();
    };
    const send = (due: number) => {
      sent++;
      const req = http.get(r.url, { agent, headers: r.headers }, (res) => {
        res.resume();
        res.on('end', () => done(due, res.statusCode === r.expectStatus));
      });
      req.on('error', () => done(due, false));
    };
    // Every request whose time has come is sent at once; then sleep until the next is due.
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent * interval);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
}

process.once('message', (m) => {
  void run(m as PacedRun).then((figures) => {
    process.send!(figures, () => process.exit(0));
  });
});
