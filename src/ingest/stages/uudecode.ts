// Content-Transfer-Encoding: x-uuencode (Eudora, old Mac and Exchange mailers). MIME libraries pass
// such a part through undecoded, so the attachment would hold the uuencoded text, not the file.

/** Transfer encodings that mean uuencode. */
export const isUuencode = (cte: string | null | undefined): boolean =>
  /^\s*(x-)?uu(encode|e)?\s*$/i.test(cte ?? '');

const DATA_LINE = /^[\x20-\x60]+$/;
/** Whether a line's length fits the byte count its first character announces. */
const fits = (line: string): boolean => {
  if (line === '' || !DATA_LINE.test(line)) return false;
  const n = (line.charCodeAt(0) - 32) & 63;
  // A data line carries ceil(n/3) groups of 4 characters; shorter ones are padding-trimmed.
  const chars = Math.ceil(n / 3) * 4;
  return n === 0 ? line.length <= 2 : line.length - 1 >= chars - 3 && line.length - 1 <= chars + 2;
};
/**
 * The line as uuencode data, or null. Spaces are data (zero bits; Netscape writes them instead of
 * "`"), so the line is first taken as it came, and only then with trailing whitespace trimmed.
 */
function dataLine(raw: string): string | null {
  const line = raw.replace(/\r$/, '');
  if (fits(line)) return line;
  const trimmed = line.replace(/\s+$/, '');
  return fits(trimmed) ? trimmed : null;
}

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
    const line = dataLine(rawLine);
    if (line === null) continue;
    const n = (line.charCodeAt(0) - 32) & 63;
    if (n === 0) continue; // the "`" line that closes the data
    const groups = Math.ceil(n / 3);
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

/** A file uuencoded inside a text body, cut out of it. */
export interface UuencodedFile {
  filename: string;
  content: Buffer;
}

/**
 * Files uuencoded into a plain body (Outlook 2000 and older clients' "uuencode" attachment option,
 * pre-MIME mail): each `begin <mode> <name>` … `end` block whose lines are all uuencode data becomes
 * a file and leaves the text, as mail clients show it. A block without its `end` line, or with a
 * line that is not data, stays text. Returns null when the text holds no such block.
 */
export function splitUuencodedFiles(text: string): { text: string; files: UuencodedFile[] } | null {
  if (!/^begin [0-7]{3,4} /m.test(text)) return null;
  const lines = text.split('\n');
  const kept: string[] = [];
  const files: UuencodedFile[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = /^begin [0-7]{3,4} (.+?)\r?$/.exec(lines[i]!);
    const endAt = begin ? lines.findIndex((l, j) => j > i && /^end\r?$/.test(l)) : -1;
    const data = endAt > i ? lines.slice(i + 1, endAt) : [];
    const content =
      data.length > 0 && data.every((l) => l.trim() === '' || dataLine(l) !== null)
        ? uudecode(Buffer.from(data.join('\n'), 'latin1'))
        : null;
    if (!begin || content === null) {
      kept.push(lines[i]!);
      continue;
    }
    files.push({ filename: begin[1]!.trim(), content });
    i = endAt;
  }
  return files.length > 0 ? { text: kept.join('\n'), files } : null;
}
