// When a failed delivery is tried again: exponential backoff (×3 from 5 s, capped at 12 h) with ±20 %
// jitter, so endpoints that fail together do not come back in lockstep. 15 attempts span about three
// days (5 s + 15 s + … + 9 h + 5 × 12 h ≈ 73 h); after the last one the delivery is `failed` and
// can still be replayed.
export const retryDelaysMs: readonly number[] = (() => {
  const out: number[] = [];
  for (let i = 0, d = 5_000; i < 14; i++, d *= 3) out.push(Math.min(d, 12 * 3_600_000));
  return out;
})();

export const maxAttempts = retryDelaysMs.length + 1;

/** Delay before the attempt after `attempt` (1-based), or null when that was the last one. */
export function nextDelayMs(attempt: number, random: () => number = Math.random): number | null {
  const base = retryDelaysMs[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.8 + 0.4 * random()));
}
