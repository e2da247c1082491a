// Shared by the hostile-input benches: a shape run at n and 4n, and whether its time grew
// linearly (factor ~4) or worse (~16 for quadratic).
export interface GrowthResult {
  shape: string;
  target: string;
  smallMs: number;
  bigMs: number;
  growth: number;
}

/** Below a few ms the factor is timer noise, not growth: the small run counts as at least 2 ms. */
export const growthOf = (
  shape: string,
  target: string,
  smallMs: number,
  bigMs: number,
): GrowthResult => ({ shape, target, smallMs, bigMs, growth: bigMs / Math.max(smallMs, 2) });

/** Superlinear (and big enough to matter), or slow outright. */
export const isSuperlinear = (r: GrowthResult, boundMs: number): boolean =>
  (r.growth > 8 && r.bigMs > 50) || r.bigMs > boundMs;

/** Prints every row and a verdict; sets a failing exit code when a row is superlinear or slow. */
export function reportGrowth(rows: GrowthResult[], boundMs: number): void {
  for (const r of rows) {
    const flag = isSuperlinear(r, boundMs) ? '  << superlinear or slow' : '';
    console.log(
      `  ${r.shape.padEnd(16)} ${r.target.padEnd(16)} ${r.smallMs.toFixed(1).padStart(8)} ms → ${r.bigMs.toFixed(1).padStart(8)} ms  ×${r.growth.toFixed(1)}${flag}`,
    );
  }
  const bad = rows.filter((r) => isSuperlinear(r, boundMs));
  console.log(
    bad.length === 0
      ? 'all shapes linear'
      : `${bad.length} shape(s) superlinear or over ${boundMs} ms`,
  );
  if (bad.length > 0) process.exitCode = 1;
}

/** Best of three: a collection landing in one run is noise, not growth. */
export async function bestOfThree(fn: () => Promise<unknown> | unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
