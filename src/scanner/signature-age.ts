// How old clamd's signatures are (security.md control 34: under 24 h, health reports a stale
// database). Asked at most once per `refreshMs` (readiness probes come every few seconds; the
// database changes a few times a day) and in the background: a probe never waits on clamd, so a
// clamd that hangs cannot make the API look unready. Exported as inlet_clamd_signatures_age_seconds.
import { Gauge, type Registry } from 'prom-client';

import type { ClamdVersion } from './clamd-version.js';

/**
 * ok: younger than the limit. stale_signatures: older. age_unknown: clamd has no dated database (a custom or
 * test database): reported, but not degraded, since there is no update to wait for.
 * unavailable: clamd did not answer VERSION (scans then stay pending; InletClamdDown covers it).
 * checking: not asked yet (the first probe after start).
 */
export type SignatureState = 'ok' | 'stale_signatures' | 'age_unknown' | 'unavailable' | 'checking';

export interface SignatureAgeOptions {
  version: () => Promise<ClamdVersion | null>;
  /** CLAMD_SIGNATURES_MAX_AGE_HOURS in ms. */
  maxAgeMs: number;
  registry: Registry;
  /** Default 60 s. */
  refreshMs?: number;
  now?: () => number;
}

export interface SignatureAge {
  /** The state from clamd's last answer; asks again in the background when that is older than refreshMs. */
  state(): SignatureState;
  /** Asks clamd now unless it was asked within refreshMs; settles once the answer is in. */
  refresh(): Promise<void>;
}

export function watchSignatureAge(opts: SignatureAgeOptions): SignatureAge {
  const now = opts.now ?? Date.now;
  const refreshMs = opts.refreshMs ?? 60_000;
  let built: Date | null = null;
  let answered: boolean | null = null;
  let askedAt = -Infinity;
  let asking: Promise<void> | null = null;

  const refresh = async () => {
    if (now() - askedAt < refreshMs) return;
    asking ??= opts
      .version()
      .then((v) => {
        answered = v !== null;
        built = v?.databaseBuilt ?? null;
        askedAt = now();
      })
      .finally(() => {
        asking = null;
      });
    await asking;
  };
  const ageSeconds = () => (built ? Math.max(0, (now() - built.getTime()) / 1000) : null);

  const name = 'inlet_clamd_signatures_age_seconds';
  if (!opts.registry.getSingleMetric(name)) {
    new Gauge({
      name,
      help: "Age of clamd's daily signature database; NaN while clamd has no dated database or does not answer",
      registers: [opts.registry],
      async collect() {
        await refresh();
        // NaN, not 0: an unknown age must not read as a fresh database (NaN > limit is false).
        this.set(ageSeconds() ?? Number.NaN);
      },
    });
    // The limit as well, so the chart's alert follows CLAMD_SIGNATURES_MAX_AGE_HOURS.
    new Gauge({
      name: 'inlet_clamd_signatures_max_age_seconds',
      help: 'CLAMD_SIGNATURES_MAX_AGE_HOURS in seconds: older signatures degrade /readyz',
      registers: [opts.registry],
    }).set(opts.maxAgeMs / 1000);
  }

  return {
    refresh,
    state() {
      void refresh();
      if (answered === null) return 'checking';
      if (!answered) return 'unavailable';
      const age = ageSeconds();
      if (age === null) return 'age_unknown';
      return age * 1000 > opts.maxAgeMs ? 'stale_signatures' : 'ok';
    },
  };
}
