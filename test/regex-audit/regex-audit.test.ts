// A ReDoS audit of the mail-understanding rules. Mail is parsed on the worker's main thread, so one
// regex that backtracks polynomially (or exponentially) on a crafted line stalls every mailbox on
// that worker (security.md, bad inputs). scslre (by the author of eslint-plugin-regexp) proves, per
// pattern, whether a repeated character can make it super-linear:
//   Trade / Self — two quantifiers (or one with itself) share characters: O(n²) and worse, or 2ⁿ;
//   Move — an unanchored pattern retried from every position of a long failing run: O(n²).
// Every flagged pattern must be rewritten or listed in `reviewed` with why it is safe where it is
// used (typically: only ever run on a line whose length the caller caps first). An exponential
// pattern is never allowed. A pattern that changes gets a new key, so it is checked afresh.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { RegExpParser } from '@eslint-community/regexpp';
import { analyse } from 'scslre';
import { describe, expect, it } from 'vitest';

import { collectRegexes, type FoundRegex } from './collect-regexes.js';
import { reviewed } from './reviewed.js';

const root = resolve(import.meta.dirname, '../..');
const stages = join(root, 'src/ingest/stages');
const audited = [
  ...readdirSync(stages)
    .filter((f) => /^(?:extract-reply|bounce)[\w-]*\.ts$/.test(f) && !f.endsWith('.test.ts'))
    .map((f) => join(stages, f)),
  ...['reply-signature.ts', 'smime.ts', 'mime-boundaries.ts', 'mime-scan.ts'].map((f) =>
    join(stages, f),
  ),
  join(root, 'src/lib/content-disposition.ts'),
];

/** Stable short key of a pattern: what `reviewed` is indexed by. */
export const keyOf = (r: { source: string; flags: string }): string =>
  createHash('sha256').update(`/${r.source}/${r.flags}`).digest('hex').slice(0, 12);

interface Finding {
  regex: FoundRegex;
  key: string;
  kinds: string[];
  exponential: boolean;
}

function findingsOf(regexes: FoundRegex[]): Finding[] {
  const parser = new RegExpParser({ ecmaVersion: 2025 });
  const out: Finding[] = [];
  for (const regex of regexes) {
    const literal = { source: regex.source, flags: regex.flags };
    const parsed = parser.parseLiteral(`/${regex.source}/${regex.flags}`);
    const { reports } = analyse(
      { pattern: parsed.pattern, flags: parsed.flags },
      { reportTypes: { Move: true, Self: true, Trade: true } },
    );
    if (reports.length === 0) continue;
    out.push({
      regex,
      key: keyOf(literal),
      kinds: reports.map((r) => `${r.type} on ${JSON.stringify(r.character.pick)}`),
      exponential: reports.some((r) => r.exponential),
    });
  }
  return out;
}

const describeFinding = (f: Finding): string =>
  `${f.key}  ${f.regex.where}  ${f.kinds.join(', ')}\n    /${f.regex.source.slice(0, 160)}/${f.regex.flags}`;

describe('ReDoS audit of the mail-understanding regexes', async () => {
  const regexes = await collectRegexes(audited, root);
  const findings = findingsOf(regexes);

  it('finds the literals and the word lists built at load', () => {
    // A collector that silently found nothing would pass every check below.
    expect(regexes.length).toBeGreaterThan(150);
    expect(regexes.some((r) => r.source.includes('schreef'))).toBe(true);
  });

  it('no pattern backtracks exponentially', () => {
    expect(findings.filter((f) => f.exponential).map(describeFinding)).toEqual([]);
  });

  it('every super-linear pattern is reviewed', () => {
    expect(findings.filter((f) => !(f.key in reviewed)).map(describeFinding)).toEqual([]);
  });

  it('every reviewed entry still names a flagged pattern', () => {
    const flagged = new Set(findings.map((f) => f.key));
    expect(Object.keys(reviewed).filter((k) => !flagged.has(k))).toEqual([]);
  });
});
