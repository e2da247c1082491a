import { describe, expect, it } from 'vitest';

import {
  encryptedZip,
  inflatingZip,
  nestedZip,
  overlappingZip,
} from '../../test/helpers/hostile-zip.js';
import { zip } from '../lib/zip.js';
import { zipOverLimit } from './archive-limits.js';

describe('zipOverLimit', () => {
  it('lets ordinary zips and non-zips through to the scanner verdict', () => {
    expect(zipOverLimit(zip([{ name: 'a.txt', data: Buffer.from('hello') }]))).toBeNull();
    expect(zipOverLimit(encryptedZip())).toBeNull();
    expect(zipOverLimit(nestedZip())).toBeNull();
    expect(zipOverLimit(Buffer.from('%PDF-1.4 not a zip'))).toBeNull();
  });

  it('refuses an entry claiming more than clamd scans of one file', () => {
    expect(zipOverLimit(inflatingZip(26))).toBe('archive_limit:entry_size');
  });

  it('refuses entries that share bytes, and archives claiming more than clamd scans in total', () => {
    expect(zipOverLimit(overlappingZip(3, 1))).toBe('archive_limit:overlap');
    expect(zipOverLimit(overlappingZip())).toBe('archive_limit:total_size');
  });

  it('leaves a truncated zip to clamd rather than throwing', () => {
    const whole = zip([{ name: 'a.txt', data: Buffer.from('hello') }]);
    expect(zipOverLimit(whole.subarray(0, whole.length - 30))).toBeNull();
    const lying = Buffer.from(whole);
    lying.writeUInt32LE(0xfffff, lying.length - 6); // central directory offset past the end
    expect(zipOverLimit(lying)).toBeNull();
  });
});
