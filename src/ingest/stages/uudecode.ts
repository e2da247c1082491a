// Content-Transfer-Encoding: x-uuencode (Eudora, old Mac and Exchange mailers). MIME libraries pass
// such a part through undecoded, so the attachment would hold the uuencoded text, not the file.

/** Transfer encodings that mean uuencode. */
export const isUuencode = (cte: string | null | undefined): boolean =>
  /^\s*(x-)?uu(encode|e)?\s*$/i.test(cte ?? '');

/**
 * Decodes uuencoded text. The "begin mode name" / "end" lines are optional (Eudora leaves them
 * out); lines that do not look like uuencode are skipped. Returns null when nothing decoded, so the
 * caller keeps the part as it came.
 */
export function uudecode(input: Buffer): Buffer | null {
  const out: Buffer[] = [];
  let size = 0;
  for (const rawLine of input.toString('latin1').split(/\r?\n/)) {
    if (/^begin(-base64)?\s+[0-7]{3,4}\s/.test(rawLine)) continue;
    if (rawLine === 'end') break;
    const line = rawLine.replace(/\s+$/, '');
    // Every uuencode character is in 0x20–0x60; anything else is not a data line.
    if (line === '' || !/^[\x20-\x60]+$/.test(line)) continue;
    const n = (line.charCodeAt(0) - 32) & 63;
    if (n === 0) continue; // the "`" line that closes the data
    // A data line carries ceil(n/3) groups of 4 characters; shorter ones are padding-trimmed.
    const groups = Math.ceil(n / 3);
    if (line.length - 1 < groups * 4 - 3 || line.length - 1 > groups * 4 + 2) continue;
    const chars = line.slice(1).padEnd(groups * 4, '`');
    const bytes = Buffer.alloc(groups * 3);
    for (let g = 0; g < groups; g++) {
      const c = [0, 1, 2, 3].map((k) => (chars.charCodeAt(g * 4 + k) - 32) & 63);
      bytes[g * 3] = (c[0]! << 2) | (c[1]! >> 4);
      bytes[g * 3 + 1] = ((c[1]! & 15) << 4) | (c[2]! >> 2);
      bytes[g * 3 + 2] = ((c[2]! & 3) << 6) | c[3]!;
    }
    out.push(bytes.subarray(0, n));
    size += n;
  }
  return size > 0 ? Buffer.concat(out, size) : null;
}
