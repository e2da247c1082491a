// Just enough RFC 5322 / MIME handling for the fake: a strict header-section reader (so header
// injection is caught the way a careful server would), address extraction for From/To checks,
// and the Gmail `payload` tree for format=full / metadata (Gmail's `format` semantics).

export interface Header {
  name: string;
  value: string;
}

export interface ParsedHeaders {
  headers: Header[];
  body: Buffer;
}

export class MimeError extends Error {}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** Splits a message into its unfolded headers and body; throws MimeError on malformed headers. */
export function parseHeaderSection(raw: Buffer): ParsedHeaders {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  let end: number;
  let sepLen: number;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) {
    end = crlf;
    sepLen = 4;
  } else if (lf >= 0) {
    end = lf;
    sepLen = 2;
  } else {
    end = raw.length;
    sepLen = 0;
  }
  const text = raw.subarray(0, end).toString('latin1');
  if (/\r(?!\n)/.test(text)) throw new MimeError('bare CR in the header section');
  const hasCrlf = text.includes('\r\n');
  if (hasCrlf && /(?<!\r)\n/.test(text))
    throw new MimeError('bare LF in a CRLF header section (header injection)');
  if (text.length === 0) throw new MimeError('no header section');
  const headers: Header[] = [];
  for (const line of text.split(hasCrlf ? '\r\n' : '\n')) {
    if (/^[ \t]/.test(line)) {
      const last = headers[headers.length - 1];
      if (!last) throw new MimeError('continuation line before any header');
      last.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!FIELD_NAME.test(name))
      throw new MimeError(`not a header line: ${JSON.stringify(line.slice(0, 40))}`);
    headers.push({
      name,
      value: Buffer.from(line.slice(colon + 1), 'latin1')
        .toString('utf8')
        .trim(),
    });
  }
  return { headers, body: raw.subarray(end + sepLen) };
}

export function headerValue(headers: Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

/** Addresses in an address-list header: `<a@b>` forms first, else bare tokens with an @. */
export function addresses(value: string | undefined): string[] {
  if (!value) return [];
  const angled = [...value.matchAll(/<([^<>\s]+@[^<>\s]+)>/g)].map((m) => m[1]!.toLowerCase());
  if (angled.length > 0) return angled;
  return value
    .split(',')
    .map((s) => s.trim().replace(/^"[^"]*"\s*/, ''))
    .filter((s) => /^[^\s@]+@[^\s@]+$/.test(s))
    .map((s) => s.toLowerCase());
}

/** Message-IDs named in a References / In-Reply-To / Message-ID value. */
export function messageIds(value: string | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}

/** Subject with reply/forward prefixes removed, for Gmail's "Subject headers match" rule
 *  (docs/providers.md, Gmail facts: threading on send). */
export function normalizeSubject(subject: string | undefined): string {
  let s = (subject ?? '').trim();
  for (;;) {
    const next = s.replace(/^(re|fwd?|aw|sv)\s*(\[\d+\])?\s*:\s*/i, '');
    if (next === s) return s.replace(/\s+/g, ' ');
    s = next;
  }
}

export interface GmailPart {
  partId: string;
  mimeType: string;
  filename: string;
  headers: Header[];
  body: { size: number; data?: string };
  parts?: GmailPart[];
}

function params(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of (value ?? '').matchAll(/;\s*([\w-]+)\s*=\s*("([^"]*)"|[^;\s]+)/g)) {
    out.set(m[1]!.toLowerCase(), m[3] ?? m[2]!);
  }
  return out;
}

function decodeTransfer(body: Buffer, encoding: string | undefined): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.toString('latin1').replace(/\s+/g, ''), 'base64');
  if (enc === 'quoted-printable') {
    const text = body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(
      text.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
  }
  return body;
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const pieces = text.split(
    new RegExp(`\\r?\\n?${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
  );
  const parts: Buffer[] = [];
  for (const piece of pieces.slice(1)) {
    if (piece.startsWith('--')) break;
    parts.push(Buffer.from(piece.replace(/^[ \t]*\r?\n/, ''), 'latin1'));
  }
  return parts;
}

export function buildPayload(raw: Buffer, partId = ''): GmailPart {
  const { headers, body } = parseHeaderSection(raw);
  const ctype = headerValue(headers, 'content-type');
  const mimeType = (ctype?.split(';')[0]?.trim() || 'text/plain').toLowerCase();
  const filename =
    params(headerValue(headers, 'content-disposition')).get('filename') ??
    params(ctype).get('name') ??
    '';
  const boundary = params(ctype).get('boundary');
  if (mimeType.startsWith('multipart/') && boundary) {
    const children = splitMultipart(body, boundary).map((p, i) =>
      buildPayload(p, partId === '' ? String(i) : `${partId}.${i}`),
    );
    return { partId, mimeType, filename, headers, body: { size: 0 }, parts: children };
  }
  const decoded = decodeTransfer(body, headerValue(headers, 'content-transfer-encoding'));
  return {
    partId,
    mimeType,
    filename,
    headers,
    body: { size: decoded.length, data: decoded.toString('base64url') },
  };
}

export function snippetOf(raw: Buffer): string {
  const find = (part: GmailPart): string | undefined => {
    if (part.mimeType === 'text/plain' && part.body.data)
      return Buffer.from(part.body.data, 'base64url').toString('utf8');
    for (const child of part.parts ?? []) {
      const hit = find(child);
      if (hit !== undefined) return hit;
    }
    return undefined;
  };
  try {
    return (find(buildPayload(raw)) ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return '';
  }
}
