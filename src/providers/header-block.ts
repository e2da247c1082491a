// An RFC 5322 header block written from the name/value pairs an HTTP mail API returns (Gmail's
// format=metadata `payload.headers`, Graph's `internetMessageHeaders`), for the stub of a message
// too large to download (MailProvider.fetchHeaders). The pairs come from a stranger's message:
// a name that is no field name is left out, a line break inside a value cannot start a header of
// its own, and the block stops, at a line end, before HEADER_FETCH_BYTES.
import { HEADER_FETCH_BYTES } from './mail-provider.js';

const fieldName = /^[!-9;-~]{1,200}$/;

export function headerBlockOf(pairs: unknown): Buffer {
  const lines: Buffer[] = [];
  let bytes = 0;
  for (const pair of Array.isArray(pairs) ? pairs : []) {
    const { name, value } = (pair ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || typeof value !== 'string' || !fieldName.test(name)) continue;
    const line = Buffer.from(`${name}: ${value.replace(/[\r\n]+[ \t]*/g, ' ')}\r\n`, 'utf8');
    if (bytes + line.length > HEADER_FETCH_BYTES) break;
    lines.push(line);
    bytes += line.length;
  }
  return Buffer.concat(lines);
}
