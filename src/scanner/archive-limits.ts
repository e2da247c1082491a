// clamd does not refuse every archive it could not fully scan. ClamAV 1.4 trims a zip entry that
// inflates past MaxFileSize to that size, scans the prefix and answers OK even with
// AlertExceedsMax on, and it scans an entry once when the central directory points many names at
// the same bytes (the overlapping-entry bomb, CVE-2019-12625, answered OK). Both were `clean`
// here (test/integration/ingest/hostile-archives.test.ts). So before trusting a clean answer for a zip we
// read its central directory ourselves: what it claims to hold must fit the scanner's limits and
// its entries must not share bytes. A refusal is `scan_failed` (never served), not `infected`.

/** clamd's MaxFileSize in the chart's clamd.conf and the test helper; a larger entry is only partly scanned. */
export const MAX_ENTRY_BYTES = 25 * 1024 * 1024;
/** clamd's MaxScanSize (chart, test helper): what one attachment may claim to unpack to in total. */
export const MAX_TOTAL_BYTES = 100 * 1024 * 1024;
/** clamd's MaxFiles (its default; the chart sets it). */
export const MAX_ENTRIES = 10_000;

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;

function findEnd(buf: Buffer): number {
  // The end record is 22 bytes plus a comment of at most 65535.
  const floor = Math.max(0, buf.length - 22 - 0xffff);
  for (let at = buf.length - 22; at >= floor; at--) {
    if (buf.readUInt32LE(at) === END) return at;
  }
  return -1;
}

/**
 * Why a zip attachment cannot be called clean whatever the scanner said (`archive_limit:<what>`),
 * or null when it is not a zip, fits the limits, or is too broken to read (then clamd's own
 * answer stands: it refuses what it cannot parse when that matters).
 */
export function zipOverLimit(buf: Buffer): string | null {
  if (buf.length < 22 || buf.readUInt32LE(0) !== LOCAL) return null;
  const end = findEnd(buf);
  if (end < 0) return null;
  const count = buf.readUInt16LE(end + 10);
  if (count > MAX_ENTRIES) return 'archive_limit:files';
  let at = buf.readUInt32LE(end + 16);
  let total = 0;
  const spans: { start: number; end: number }[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) return null;
    const packed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const local = buf.readUInt32LE(at + 42);
    // 0xffffffff means "see zip64", which claims more than we allow anyway.
    if (size > MAX_ENTRY_BYTES) return 'archive_limit:entry_size';
    total += size;
    if (total > MAX_TOTAL_BYTES) return 'archive_limit:total_size';
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) return null;
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    spans.push({ start: local, end: dataAt + packed });
    at += 46 + buf.readUInt16LE(at + 28) + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.start < spans[i - 1]!.end) return 'archive_limit:overlap';
  }
  return null;
}
