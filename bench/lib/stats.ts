// Small figures helpers shared by the benches.
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The p-th percentile of `xs` (nearest rank; xs need not be sorted). */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** The p-th percentile of already sorted `sorted` by the ceiling rank (NaN when empty): the figure
 *  the IMAP and soak benches have always printed. */
export function pctSorted(sorted: number[], p: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function percentiles(xs: number[]): { p50: number; p95: number; p99: number; max: number } {
  return { p50: pct(xs, 50), p95: pct(xs, 95), p99: pct(xs, 99), max: pct(xs, 100) };
}

/** "min / median / max" of repeated runs, rounded. */
export function spread(xs: number[]): string {
  const r = (x: number) => Math.round(x);
  return `${r(Math.min(...xs))} / ${r(pct(xs, 50))} / ${r(Math.max(...xs))}`;
}
