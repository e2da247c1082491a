// How hard the property tests push. The normal suite runs a small, fixed-seed sample so it stays
// fast and repeatable; FUZZ_RUNS=5000 (and FUZZ_SEED=<n> to explore other inputs) digs deeper.
// A failure prints its seed and path: rerun with those to get the same shrunk counterexample.
import fc from 'fast-check';

const fromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isSafeInteger(value) && value > 0 ? value : fallback;
};

/** Runs per property: FUZZ_RUNS scaled by `weight` (expensive properties take a share of it). */
export function fuzzParams(defaultRuns: number, weight = 1): fc.Parameters<unknown> {
  const runs = fromEnv('FUZZ_RUNS', defaultRuns);
  return {
    seed: fromEnv('FUZZ_SEED', 20261207),
    numRuns: Math.max(1, Math.round(runs * weight)),
  };
}

/** A test timeout that grows with FUZZ_RUNS, so a deep run is not cut off by the suite's default. */
export function fuzzTimeout(defaultRuns: number, msPerRun: number): number {
  return Math.max(60_000, fromEnv('FUZZ_RUNS', defaultRuns) * msPerRun);
}
