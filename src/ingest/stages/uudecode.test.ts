import { describe, expect, it } from 'vitest';

import { isUuencode, uudecode } from './uudecode.js';

// Built by hand from the uuencode definition (length char, then 4 chars per 3 bytes, offset 32).
function uuencode(data: Buffer): string {
  const lines: string[] = [];
  for (let at = 0; at < data.length; at += 45) {
    const chunk = data.subarray(at, at + 45);
    let line = String.fromCharCode(32 + chunk.length);
    for (let i = 0; i < chunk.length; i += 3) {
      const [a = 0, b = 0, c = 0] = [chunk[i], chunk[i + 1], chunk[i + 2]];
      for (const v of [a >> 2, ((a & 3) << 4) | (b >> 4), ((b & 15) << 2) | (c >> 6), c & 63])
        line += v === 0 ? '`' : String.fromCharCode(32 + v);
    }
    lines.push(line);
  }
  return [...lines, '`'].join('\r\n');
}

describe('uudecode', () => {
  const data = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37) % 256));

  it('decodes bare uuencoded lines, as Eudora sends them', () => {
    expect(uudecode(Buffer.from(uuencode(data)))).toEqual(data);
  });

  it('skips the begin/end lines', () => {
    const text = `begin 644 file.bin\r\n${uuencode(Buffer.from('Hello Inlet'))}\r\nend\r\n`;
    expect(uudecode(Buffer.from(text))?.toString()).toBe('Hello Inlet');
  });

  it('gives null for text that is not uuencoded', () => {
    expect(uudecode(Buffer.from('just some words\r\n'))).toBeNull();
  });

  it('recognises the transfer-encoding names', () => {
    expect(['x-uuencode', 'uuencode', 'X-UUE', 'x-uue'].every(isUuencode)).toBe(true);
    expect(isUuencode('base64')).toBe(false);
  });
});
