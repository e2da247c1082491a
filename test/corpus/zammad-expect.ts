// Compares a ParsedMessage with Zammad's expected parse (mailNNN.yml, a Psych dump) field by field.
// Only header fields and attachment identity carry over between implementations (see the zammad
// MANIFEST): Zammad's body is its own sanitised HTML, and its synthetic "message.html" attachment
// (preferences content-alternative) is how Zammad stores the HTML part, not a real attachment.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { parse } from 'yaml';

import type { ParsedMessage } from '../../src/ingest/types.js';

export const zammadFields = [
  'from_email',
  'from_display_name',
  'to',
  'cc',
  'reply_to',
  'subject',
  'content_type',
  'attachment_md5',
  'attachment_name',
  'attachment_type',
] as const;
export type ZammadField = (typeof zammadFields)[number];

export interface FieldResult {
  field: ZammadField;
  ok: boolean;
  expected: string;
  got: string;
  /** Set when this mismatch is a reviewed divergence (see zammadDivergences); excluded from the adjusted score. */
  divergence?: string;
}

/**
 * Reviewed cases where Zammad's expectation is a Zammad convention or a Zammad decoding bug, not a
 * parsing fact. They are printed and counted separately (raw score and adjusted score); nothing is hidden.
 */
export const zammadDivergences: {
  file: string;
  field: ZammadField;
  expected?: string;
  reason: string;
}[] = [
  {
    file: 'mail065.box',
    field: 'from_display_name',
    reason:
      'Zammad leaves "=20Andreas?=" of an RFC 2047 word undecoded; we decode "Bürling, Andreas"',
  },
  {
    file: 'mail087.box',
    field: 'from_display_name',
    reason:
      'From "Test test@example.com" has no angle-addr; Zammad keeps the whole string as the name',
  },
  {
    file: 'mail076.box',
    field: 'from_display_name',
    reason: 'malformed From ("…"@example.com>); Zammad puts the address into the name',
  },
  {
    file: 'mail046.box',
    field: 'from_display_name',
    reason: 'raw 8-bit GBK header; Zammad decodes the name as cp1250 but the subject as GBK',
  },
  {
    file: 'mail064.box',
    field: 'attachment_name',
    reason: 'same name; Zammad keeps NFD, we normalise display names to NFC',
  },
  {
    file: 'mail073.box',
    field: 'attachment_name',
    reason: 'Zammad keeps U+FFFD; we decode the RFC 2231 name correctly ("Wölbung")',
  },
  ...(
    [
      ['attachment_md5', '4affbb9d61d533e48a8274cdd712a9f8'],
      ['attachment_name', 'file'],
      ['attachment_type', 'application/pgp-encrypted'],
    ] as const
  ).map(([field, expected]) => ({
    file: 'mail042.box',
    field,
    expected,
    reason:
      'Zammad lists the PGP/MIME control part ("Version: 1", RFC 3156) as a file; Inlet, as mail clients, lists only the encrypted payload',
  })),
  {
    file: 'mail053.box',
    field: 'attachment_name',
    expected: 'file',
    reason: "placeholder name: Zammad 'file', Inlet 'attachment'",
  },
  {
    file: 'mail087.box',
    field: 'attachment_name',
    expected: 'file',
    reason: "placeholder name: Zammad 'file', Inlet 'attachment'",
  },
  {
    file: 'mail100.box',
    field: 'attachment_type',
    expected: 'image/jpg',
    reason:
      "declared 'application/others'; Zammad swaps in a type guessed from the name, declaredType keeps what was declared (sniffedType has the real one)",
  },
  {
    file: 'mail100.box',
    field: 'attachment_name',
    reason: 'Zammad names the part after its Content-ID; the part itself names ITN21A07-000089.jpg',
  },
  {
    file: 'mail102.box',
    field: 'attachment_name',
    expected: 'Screen Shot 2018-12-17 at 091.00.38.png',
    reason:
      'two parts are both named "Screen Shot 2018-12-17 at 09.00.38.png"; Zammad renames the second by inserting "1" before the first dot, we keep the name as sent',
  },
  {
    file: 'mail102.box',
    field: 'content_type',
    reason:
      'no text/html part in the message (text/plain parts between images); Zammad builds HTML to place the inline images',
  },
  {
    file: 'mail054.box',
    field: 'content_type',
    reason:
      'the boundary parameter sits on a line of its own without folding; Zammad loses it and stores "no visible content" as text/plain, Inlet folds the line and shows the alternative ("some text", with its HTML version)',
  },
  ...(['mail062.box', 'mail085.box'] as const).flatMap((file) =>
    (['attachment_md5', 'attachment_name', 'attachment_type'] as const).map((field) => ({
      file,
      field,
      expected: field === 'attachment_type' ? 'text/html' : undefined,
      reason:
        'Zammad turns extra inline text/html parts into attachments; Inlet (mailparser) joins them into the HTML body',
    })),
  ),
];

function divergenceFor(file: string, r: FieldResult): string | undefined {
  return zammadDivergences.find(
    (d) =>
      d.file === file &&
      d.field === r.field &&
      (d.expected === undefined ||
        d.expected === r.expected ||
        (r.field !== 'attachment_type' && r.got.startsWith('missing'))),
  )?.reason;
}

const tags = [
  { tag: '!binary', resolve: (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'base64') },
  {
    tag: '!ruby/hash:ActiveSupport::HashWithIndifferentAccess',
    collection: 'map' as const,
    resolve: (m: unknown) => m,
  },
];

type Plain = Record<string, unknown>;
const plain = (v: unknown): Plain =>
  v instanceof Map ? Object.fromEntries(v) : ((v ?? {}) as Plain);

export function loadZammadExpectation(ymlPath: string): Plain {
  return plain(
    parse(readFileSync(ymlPath, 'utf8'), {
      customTags: tags,
      logLevel: 'silent',
      maxAliasCount: -1,
    }),
  );
}

// Addresses in Zammad's header string; quoted display names ("'a@b.c'" <a@b.c>) are not addresses.
const addrs = (s: unknown): string =>
  (typeof s === 'string'
    ? (s.replace(/"[^"]*"/g, ' ').match(/[^\s<>,;:"'()[\]]+@[^\s<>,;:"'()[\]]+/g) ?? [])
    : []
  )
    .map((a) => a.toLowerCase())
    .sort()
    .join(', ');
const ws = (s: unknown): string => (typeof s === 'string' ? s.replace(/\s+/g, ' ').trim() : '');

/** One FieldResult per header field, plus one per expected (non-synthetic) attachment and aspect. */
export function compareWithZammad(exp: Plain, msg: ParsedMessage, file = ''): FieldResult[] {
  const out: FieldResult[] = [];
  const add = (field: ZammadField, expected: string, got: string) =>
    out.push({ field, ok: expected === got, expected, got });
  add(
    'from_email',
    String(exp.from_email ?? '').toLowerCase(),
    msg.from?.address.toLowerCase() ?? '',
  );
  add('from_display_name', ws(exp.from_display_name), ws(msg.from?.name));
  add(
    'to',
    addrs(exp.to),
    msg.to
      .map((a) => a.address.toLowerCase())
      .sort()
      .join(', '),
  );
  add(
    'cc',
    addrs(exp.cc),
    msg.cc
      .map((a) => a.address.toLowerCase())
      .sort()
      .join(', '),
  );
  add(
    'reply_to',
    addrs(exp['reply-to']),
    msg.replyTo
      .map((a) => a.address.toLowerCase())
      .sort()
      .join(', '),
  );
  add('subject', ws(exp.subject), ws(msg.subject));
  add(
    'content_type',
    String(exp.content_type ?? ''),
    msg.html !== null ? 'text/html' : 'text/plain',
  );
  const attachments = ((exp.attachments as unknown[] | undefined) ?? []).map(plain);
  for (const a of attachments) {
    const prefs = plain(a.preferences);
    if (prefs['content-alternative']) continue;
    const data = a.data instanceof Buffer ? a.data : Buffer.from(String(a.data ?? ''), 'utf8');
    const md5 = createHash('md5').update(data).digest('hex');
    // Zammad stores text parts with LF line endings; the wire form (and ours) is CRLF.
    const lf = (b: Buffer) =>
      createHash('md5').update(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1').digest('hex');
    const md5Of = (b: Buffer) => createHash('md5').update(b).digest('hex');
    const byMd5 = msg.attachments.find((x) => md5Of(x.content) === md5 || lf(x.content) === md5);
    const name = String(a.filename ?? '');
    const byName = msg.attachments.find((x) => x.filename === name);
    add(
      'attachment_md5',
      md5,
      byMd5 ? md5 : `missing (${msg.attachments.map((x) => x.filename).join(' | ')})`,
    );
    add('attachment_name', name, byName ? name : (byMd5?.filename ?? 'missing'));
    const type = String(prefs['Mime-Type'] ?? '').toLowerCase();
    const both = msg.attachments.find(
      (x) => x.filename === name && (md5Of(x.content) === md5 || lf(x.content) === md5),
    );
    add('attachment_type', type, (both ?? byMd5 ?? byName)?.declaredType ?? 'missing');
  }
  for (const r of out) if (!r.ok) r.divergence = divergenceFor(file, r);
  return out;
}
