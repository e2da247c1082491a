// "No scanner yet" is a state, not an error: without clamd, attachments stay pending and a job
// re-checks them with backoff. This wrapper keeps the terminal quiet about it — one warning when
// clamd stops answering, then at most one per period (doubling up to an hour) while it stays away,
// and one line when it answers again — and times every verdict for inlet_clamd_scan_seconds.
import type { Registry } from 'prom-client';

import type { Logger } from '../lib/logger.js';
import { clamdLatencyHistogram } from '../metrics/operator-metrics.js';
import { isTransientScanError, type Scanner } from './scanner.js';

export interface WatchOptions {
  where: string;
  /** First gap between repeated warnings; doubles up to maxPeriodMs. Default 60 s. */
  firstPeriodMs?: number;
  maxPeriodMs?: number;
  now?: () => number;
}

export function watchScanner<S extends Scanner>(
  scanner: S,
  logger: Logger,
  registry: Registry,
  opts: WatchOptions,
): S {
  const latency = clamdLatencyHistogram(registry);
  const log = logger.child({ component: 'scanner' });
  const now = opts.now ?? Date.now;
  const first = opts.firstPeriodMs ?? 60_000;
  const max = opts.maxPeriodMs ?? 3_600_000;
  let down = false;
  let period = first;
  let nextWarnAt = 0;
  let missed = 0;

  const unavailable = (detail: string) => {
    missed++;
    if (down && now() < nextWarnAt) return;
    log.warn(
      { clamd: opts.where, reason: detail, scansWithoutVerdict: missed },
      `clamd is not answering at ${opts.where}: attachments stay pending (never downloadable) and are re-checked with backoff; start clamd or set CLAMD_HOST/CLAMD_PORT`,
    );
    if (down) period = Math.min(max, period * 2);
    down = true;
    nextWarnAt = now() + period;
  };
  const answered = () => {
    if (!down) return;
    log.info(
      { clamd: opts.where },
      'clamd answers again; pending attachments are scanned by their re-check jobs',
    );
    down = false;
    period = first;
    missed = 0;
  };

  return Object.assign(Object.create(scanner) as S, {
    async scan(content: Parameters<Scanner['scan']>[0]) {
      const started = performance.now();
      const result = await scanner.scan(content);
      if (isTransientScanError(result) && result.verdict === 'error') unavailable(result.reason);
      else {
        answered();
        latency.observe({ result: result.verdict }, (performance.now() - started) / 1000);
      }
      return result;
    },
  });
}
