// The round-7 split and the comparisons the round-7 scorers share: a held-out half that moved or
// overlapped the tune half would make its figures tuned ones.
import { describe, expect, it } from 'vitest';

import { type FieldScore, firstHalf, scoreFrom, scoreText } from './external-score.js';

describe('firstHalf', () => {
  it('gives the first half (the middle case too) to tune and the rest to held-out', () => {
    const cases = ['a', 'b', 'c', 'd', 'e'];
    expect(firstHalf(cases, 'tune')).toEqual(['a', 'b', 'c']);
    expect(firstHalf(cases, 'held-out')).toEqual(['d', 'e']);
  });

  it('splits an even set evenly and an empty one into nothing', () => {
    expect(firstHalf([1, 2, 3, 4], 'tune')).toEqual([1, 2]);
    expect(firstHalf([1, 2, 3, 4], 'held-out')).toEqual([3, 4]);
    expect(firstHalf([], 'tune')).toEqual([]);
  });
});

describe('scoreText and scoreFrom', () => {
  it('count runs of whitespace as one space and addresses without case', () => {
    const fields: Record<string, FieldScore> = {};
    scoreText(fields, 'one', 'Hello\r\n\r\n  there ', 'Hello there');
    scoreText(fields, 'two', 'Hello', null);
    scoreFrom(fields, 'one', 'Ann@Example.org', 'ann@example.org');
    scoreFrom(fields, 'two', 'ann@example.org', undefined);
    expect(fields.text).toMatchObject({
      pass: 1,
      total: 2,
      misses: ['two: expected "Hello" got ""'],
    });
    expect(fields.from).toMatchObject({ pass: 1, total: 2 });
  });

  it('list a reviewed divergence apart from the misses', () => {
    const fields: Record<string, FieldScore> = {};
    scoreText(fields, 'one', 'Hello and more', 'Hello', 'the project appends more');
    expect(fields.text).toMatchObject({
      pass: 0,
      misses: [],
      divergent: ['one: the project appends more'],
    });
  });
});
