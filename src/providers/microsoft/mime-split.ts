// Splits attachments off a composed message so the rest fits Graph's 4 MB request limit
// (docs/providers.md, Microsoft 365 facts: sending). Byte-level on the top-level multipart/mixed
// that nodemailer writes: the header block (our Message-ID, In-Reply-To, References…) and the parts
// that stay are kept verbatim; only whole attachment parts are taken out, largest first, and
// returned decoded for upload.

export interface SplitAttachment {
  name: string;
  contentType: string;
  content: Buffer;
}

const CRLF = '\r\n';

function headerBlock(part: string): { head: string; body: string } {
  const at = part.indexOf(CRLF + CRLF);
  return at < 0 ? { head: part, body: '' } : { head: part.slice(0, at), body: part.slice(at + 4) };
}

function param(head: string, header: string, name: string): string | null {
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const line = new RegExp(`^${header}:(.*)$`, 'im').exec(unfolded)?.[1] ?? '';
  const m = new RegExp(`${name}\\*?=(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(line);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/** Removes attachment parts (largest first) until the base64 of the rest is at most `limit` bytes. */
export function splitForLimit(
  mime: Buffer,
  limit: number,
): { mime: Buffer; removed: SplitAttachment[] } | null {
  const text = mime.toString('latin1');
  const { head, body } = headerBlock(text);
  if (!/^content-type:\s*multipart\/mixed/im.test(head.replace(/\r\n[ \t]+/g, ' '))) return null;
  const boundary = param(head, 'content-type', 'boundary');
  if (!boundary) return null;
  const delimiter = `${CRLF}--${boundary}`;
  const chunks = (CRLF + body).split(delimiter);
  const preamble = chunks.shift()!;
  const closing = chunks.pop();
  if (closing === undefined || !closing.startsWith('--')) return null;
  const parts = chunks.map((c) => c.replace(/^[ \t]*\r\n/, ''));
  const candidates = parts
    .map((p, i) => ({ i, p, h: headerBlock(p) }))
    .filter(
      (x) =>
        /^content-disposition:\s*attachment/im.test(x.h.head.replace(/\r\n[ \t]+/g, ' ')) &&
        /^content-transfer-encoding:\s*base64/im.test(x.h.head),
    )
    .sort((a, b) => b.p.length - a.p.length);
  const drop = new Set<number>();
  const size = () =>
    Math.ceil(
      (head.length +
        4 +
        preamble.length +
        parts.reduce((n, p, i) => (drop.has(i) ? n : n + p.length + delimiter.length + 2), 0) +
        closing.length +
        delimiter.length) /
        3,
    ) * 4;
  for (const c of candidates) {
    if (size() <= limit) break;
    drop.add(c.i);
  }
  if (size() > limit) return null;
  const kept = parts.filter((_, i) => !drop.has(i));
  const rebuilt =
    head +
    CRLF +
    CRLF +
    preamble.replace(/^\r\n/, '') +
    kept.map((p) => `${delimiter}${CRLF}${p}`).join('') +
    delimiter +
    closing;
  const removed = candidates
    .filter((c) => drop.has(c.i))
    .map((c) => ({
      name:
        param(c.h.head, 'content-disposition', 'filename') ??
        param(c.h.head, 'content-type', 'name') ??
        'attachment',
      contentType:
        /^content-type:\s*([^;\r\n]+)/im.exec(c.h.head)?.[1]?.trim() ?? 'application/octet-stream',
      content: Buffer.from(c.h.body.replace(/[\r\n]/g, ''), 'base64'),
    }));
  return { mime: Buffer.from(rebuilt, 'latin1'), removed };
}
