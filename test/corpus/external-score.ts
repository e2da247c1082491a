// What every external-set scorer shares: the report shape, the whitespace rule and the fixed split.

export type Role = 'tune' | 'held-out';
export interface FieldScore {
  pass: number;
  total: number;
  misses: string[];
  /** Reviewed divergences: the expectation is the other project's convention, not a fact about the mail. */
  divergent: string[];
}
export interface SetReport {
  set: string;
  role: Role;
  cases: number;
  fields: Record<string, FieldScore>;
}

/** Runs of whitespace count as one space, ends trimmed (the sets' own tests compare this way). */
export const ws = (s: string) => s.replace(/\s+/g, ' ').trim();

export function score(
  fields: Record<string, FieldScore>,
  name: string,
  ok: boolean,
  id: string,
  detail = '',
  divergence: string | null = null,
): void {
  const f = (fields[name] ??= { pass: 0, total: 0, misses: [], divergent: [] });
  f.total++;
  if (ok) f.pass++;
  else if (divergence) f.divergent.push(`${id}: ${divergence}`);
  else f.misses.push(detail ? `${id}: ${detail}` : id);
}

/** Alternating split on the sorted case names: tune takes even positions, held-out odd ones. */
export const half = <T>(items: T[], role: Role): T[] =>
  items.filter((_, i) => (i % 2 === 0) === (role === 'tune'));
