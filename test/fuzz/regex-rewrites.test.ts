// The patterns rewritten for the ReDoS audit (test/regex-audit) must accept exactly what they did
// before. Each is compared with its old form on strings built from the characters the rules care
// about (runs of spaces and tabs, colons, dashes, quote marks, '@', '<', '>', '/', verbs), short
// enough that the old form's backtracking stays cheap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { QUOTED_VERB_TAIL } from '../../src/ingest/stages/extract-reply-attribution.js';
import { endsWithBracketedAddress } from '../../src/ingest/stages/extract-reply-quote.js';
import { ATTRIBUTION } from '../../src/ingest/stages/extract-reply-vocab.js';
import { trimSpaceTabCr } from '../../src/ingest/stages/mime-boundaries.js';
import { splitAtSpacedSlash } from '../../src/ingest/stages/reply-signature.js';
import { fuzzParams } from './fuzz-runs.js';

const pieces = [
  ' ',
  ' ',
  '\t',
  '\r',
  '\u00a0',
  ':',
  '：',
  '-',
  '--',
  '>',
  '<',
  '@',
  '/',
  '.',
  '*',
  'a',
  'A',
  'x.y',
  '0',
  '10:00',
  'wrote',
  ' wrote',
  'Jane',
  'On',
  '寫道',
  'schreef',
];
const text = fc.array(fc.constantFrom(...pieces), { maxLength: 24 }).map((p) => p.join(''));
const params = fuzzParams(2000);

describe('regexes rewritten for linear time accept what they did before', () => {
  it('the attribution pattern (one run of spaces around its closing dashes)', () => {
    const tail = String.raw`(?:-{2,}\s*)?$`;
    expect(ATTRIBUTION.source.endsWith(tail)).toBe(true);
    const old = new RegExp(
      ATTRIBUTION.source.slice(0, -tail.length) + String.raw`(?:-{2,})?\s*$`,
      ATTRIBUTION.flags,
    );
    fc.assert(
      fc.property(text, (s) => {
        expect(ATTRIBUTION.exec(s)?.slice()).toEqual(old.exec(s)?.slice());
      }),
      params,
    );
  });

  it("the quoted last piece of a wrapped attribution ('> wrote:')", () => {
    const old = /^>\s*(?:\p{L}+\s*)?[:：]?\s*$/u;
    fc.assert(
      fc.property(text, (s) => {
        expect(QUOTED_VERB_TAIL.test(`>${s}`)).toBe(old.test(`>${s}`));
        expect(QUOTED_VERB_TAIL.test(s)).toBe(old.test(s));
      }),
      params,
    );
  });

  it('a line ending in a bracketed address', () => {
    const old = /<[^<>\s]+@[^<>\s]+>\s*$/;
    fc.assert(
      fc.property(text, (s) => {
        expect(endsWithBracketedAddress(s)).toBe(old.test(s));
      }),
      params,
    );
  });

  it("a closing written in two languages split at ' / '", () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(splitAtSpacedSlash(s)).toEqual(s.split(/\s+\/\s+/));
      }),
      params,
    );
  });

  it('a boundary line without its trailing spaces, tabs and CRs', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(trimSpaceTabCr(s)).toBe(s.replace(/[ \t\r]+$/, ''));
      }),
      params,
    );
  });

  it("an address '(expanded from:' in a bounce (a lookahead for its closing bracket first)", () => {
    // The pattern in bounce-text.ts before and after; it is inline there, so both are written here.
    const old = /\((?:expanded|generated) from:?\s*<?([^\s<>()]+@[^\s<>()]+?)>?\)/gi;
    const now =
      /\((?:expanded|generated) from:?\s*<?(?=[^\s<>()]*>?\))([^\s<>()]+@[^\s<>()]+?)>?\)/gi;
    const report = fc
      .array(
        fc.constantFrom('(expanded from: ', '(generated from', '(', ')', '>', '<', ...pieces),
        {
          maxLength: 20,
        },
      )
      .map((p) => p.join(''));
    fc.assert(
      fc.property(report, (s) => {
        expect([...s.matchAll(now)].map((m) => [m.index, m[1]])).toEqual(
          [...s.matchAll(old)].map((m) => [m.index, m[1]]),
        );
      }),
      params,
    );
  });
});
