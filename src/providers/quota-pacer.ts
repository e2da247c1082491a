// Paces a provider's calls under a per-user quota measured in units (Gmail: 15,000 units per user
// per minute, each method its own cost). Backing off only after a 429 lets a backfill run at many
// times the quota for its first minute and then stall on errors; this spreads the calls evenly at a
// share of the quota rate instead, with a small burst allowance so a lone call never waits.
//
// It is a virtual-scheduling (GCRA) meter: each call reserves its units at once, in order, by moving
// a "theoretical arrival time" forward by units / rate, and waits until that time minus the burst.
// Reserving synchronously keeps concurrent callers fair and the total under the rate whatever their
// number. The clock is injected so tests run it without timers. Each provider keeps its own figures
// (quota, costs) in its folder; this file holds only the mechanism.

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface QuotaRate {
  /** Units the provider allows per `windowMs` (per user). */
  units: number;
  windowMs: number;
  /** Share of that rate to run at (below 1: the provider's meter and ours never agree exactly). */
  share: number;
  /** Units that may go at once after an idle spell. */
  burstUnits: number;
}

export interface QuotaPacer {
  /** Resolves when a call costing `units` may start (at once when the budget allows). */
  take(units: number): Promise<void>;
  /** True when no reservation is outstanding: the pacer may be dropped and rebuilt later. */
  idle(): boolean;
}

export const realPacerClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)),
};

export function makeQuotaPacer(rate: QuotaRate, clock: PacerClock = realPacerClock): QuotaPacer {
  const msPerUnit = rate.windowMs / (rate.units * rate.share);
  const toleranceMs = rate.burstUnits * msPerUnit;
  // Theoretical arrival time: when the budget would be back to empty with nothing more reserved.
  let tat = 0;
  return {
    async take(units) {
      const now = clock.now();
      const start = Math.max(tat, now);
      tat = start + units * msPerUnit;
      // A call may start once the reservation before it is within the burst tolerance of now.
      const wait = start - toleranceMs - now;
      if (wait > 0) await clock.sleep(wait);
    },
    idle: () => tat <= clock.now(),
  };
}

/** One pacer per key (a mailbox), for a process; idle ones are dropped so the map stays small. */
export function makePacerPool(
  make: () => QuotaPacer,
  maxIdle = 1000,
): { for(key: string): QuotaPacer } {
  const pacers = new Map<string, QuotaPacer>();
  return {
    for(key) {
      let p = pacers.get(key);
      if (!p) {
        if (pacers.size >= maxIdle) for (const [k, v] of pacers) if (v.idle()) pacers.delete(k);
        pacers.set(key, (p = make()));
      }
      return p;
    },
  };
}
