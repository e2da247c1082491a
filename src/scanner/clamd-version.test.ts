import { describe, expect, it } from 'vitest';

import { parseClamdVersion } from './clamd-version.js';

describe('parseClamdVersion', () => {
  it('reads engine, daily database version and its build time (ctime form, padded day)', () => {
    expect(parseClamdVersion('ClamAV 1.4.2/27480/Tue Nov  3 08:15:01 2026\0')).toEqual({
      engine: '1.4.2',
      databaseVersion: 27480,
      databaseBuilt: new Date('2026-11-03T08:15:01Z'),
    });
    expect(
      parseClamdVersion('ClamAV 0.103.8/26912/Fri Jun 23 10:00:00 2023\n')?.databaseBuilt,
    ).toEqual(new Date('2023-06-23T10:00:00Z'));
  });

  it('has no date when clamd loaded only custom signatures (no daily.cvd)', () => {
    expect(parseClamdVersion('ClamAV 1.4.2\0')).toEqual({
      engine: '1.4.2',
      databaseVersion: null,
      databaseBuilt: null,
    });
  });

  it('refuses answers that are not a version (command disabled, garbage)', () => {
    expect(parseClamdVersion('COMMAND UNAVAILABLE\0')).toBeNull();
    expect(parseClamdVersion('')).toBeNull();
    expect(parseClamdVersion('ClamAV 1.4.2/27480/yesterday')?.databaseBuilt).toBeNull();
  });
});
