import { describe, expect, it } from 'vitest';

import { chunkHeader, parseInstreamReply, parseSessionReply } from './clamd-protocol.js';
import { isTransientScanError } from './scanner.js';

describe('parseInstreamReply', () => {
  it('is clean only for a single "stream: OK"', () => {
    expect(parseInstreamReply('stream: OK\0')).toEqual({ verdict: 'clean' });
    expect(parseInstreamReply('stream: OK\n')).toEqual({ verdict: 'clean' });
    expect(parseInstreamReply('stream: OK\0stream: OK\0').verdict).toBe('error');
    expect(parseInstreamReply('OK\0').verdict).toBe('error');
    expect(parseInstreamReply('other: OK\0').verdict).toBe('error');
    expect(parseInstreamReply('\0')).toMatchObject({ verdict: 'error', reason: 'scanner_error' });
  });

  it('reads the signature name of a match', () => {
    expect(parseInstreamReply('stream: Win.Test.EICAR_HDB-1 FOUND\0')).toEqual({
      verdict: 'infected',
      signature: 'Win.Test.EICAR_HDB-1',
    });
    expect(parseInstreamReply('stream: Heuristics.Encrypted.Zip FOUND\0')).toEqual({
      verdict: 'infected',
      signature: 'Heuristics.Encrypted.Zip',
    });
  });

  it('turns limit heuristics into size_limit, never clean', () => {
    expect(
      parseInstreamReply('stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0'),
    ).toMatchObject({
      verdict: 'error',
      reason: 'size_limit',
    });
  });

  it('lets a real match outrank a limit flag in the same reply', () => {
    expect(
      parseInstreamReply(
        'stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND\0stream: Eicar FOUND\0',
      ),
    ).toEqual({
      verdict: 'infected',
      signature: 'Eicar',
    });
  });

  it('maps clamd errors to error reasons', () => {
    expect(parseInstreamReply('INSTREAM size limit exceeded. ERROR\0')).toMatchObject({
      verdict: 'error',
      reason: 'size_limit',
    });
    expect(parseInstreamReply('COMMAND READ TIMED OUT\0')).toMatchObject({
      verdict: 'error',
      reason: 'timeout',
    });
    expect(parseInstreamReply("stream: Can't allocate memory ERROR\0")).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
    expect(parseInstreamReply('UNKNOWN COMMAND\0')).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
  });

  it('keeps error details printable and short', () => {
    const result = parseInstreamReply(`${'\x01'.repeat(10)}${'x'.repeat(1000)}\0`);
    expect(result.verdict).toBe('error');
    const detail = (result as { detail: string }).detail;
    expect(detail.length).toBeLessThan(300);
    expect([...detail].every((c) => c >= ' ' && c !== '\x7f')).toBe(true);
  });
});

describe('parseSessionReply', () => {
  it('reads the verdict only from a reply carrying its own request id', () => {
    expect(parseSessionReply('3: stream: OK\0', 3)).toEqual({ verdict: 'clean' });
    expect(parseSessionReply('12: stream: Eicar FOUND\0', 12)).toEqual({
      verdict: 'infected',
      signature: 'Eicar',
    });
    expect(parseSessionReply('2: stream: OK\0', 3)).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
    expect(parseSessionReply('13: stream: OK\0', 3)).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
    expect(parseSessionReply('1: stream: OK\0', 11)).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
    expect(parseSessionReply('stream: OK\0', 1)).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
  });

  it('keeps the one-reply rules and error mapping of a plain INSTREAM', () => {
    expect(parseSessionReply('4: stream: OK\x004: stream: OK\0', 4).verdict).toBe('error');
    expect(parseSessionReply('4: stream: OK\x005: stream: OK\0', 4)).toMatchObject({
      verdict: 'error',
      reason: 'scanner_error',
    });
    expect(parseSessionReply('1: INSTREAM size limit exceeded. ERROR\0', 1)).toMatchObject({
      verdict: 'error',
      reason: 'size_limit',
    });
    expect(parseSessionReply('\0', 1)).toMatchObject({ verdict: 'error', reason: 'scanner_error' });
  });

  it('reads clamd cutting an idle session off as a timeout, even when a verdict-looking line follows', () => {
    expect(parseSessionReply('COMMAND READ TIMED OUT\n', 2)).toMatchObject({
      verdict: 'error',
      reason: 'timeout',
    });
    expect(parseSessionReply('COMMAND READ TIMED OUT\n2: stream: OK\0', 2)).toMatchObject({
      verdict: 'error',
      reason: 'timeout',
    });
  });
});

describe('chunkHeader', () => {
  it('is the length as 4 bytes big-endian', () => {
    expect([...chunkHeader(0x01020304)]).toEqual([1, 2, 3, 4]);
    expect([...chunkHeader(65536)]).toEqual([0, 1, 0, 0]);
  });
});

describe('isTransientScanError', () => {
  it('marks outages as retryable and verdicts about the bytes as final', () => {
    expect(isTransientScanError({ verdict: 'error', reason: 'unavailable', detail: '' })).toBe(
      true,
    );
    expect(isTransientScanError({ verdict: 'error', reason: 'timeout', detail: '' })).toBe(true);
    expect(isTransientScanError({ verdict: 'error', reason: 'size_limit', detail: '' })).toBe(
      false,
    );
    expect(isTransientScanError({ verdict: 'infected', signature: 'x' })).toBe(false);
    expect(isTransientScanError({ verdict: 'clean' })).toBe(false);
  });
});
