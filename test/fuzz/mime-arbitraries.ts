// Generated hostile mail: a random MIME tree (nesting, boundaries that collide, lie or never close,
// every transfer encoding done right and wrong, charsets real and invented, folded and huge headers,
// RFC 2047 words, hostile filenames and HTML), rendered to bytes and then mutated the way broken
// relays and attackers do (truncation, NULs, bare CR/LF, flipped bytes, a repeated chunk).
import fc from 'fast-check';

import { mutate, mutation } from './mime-mutations.js';
import { CHARSETS, ENCODINGS, FILENAMES, headerValue, hostile, TYPES } from './mime-vocabulary.js';

type Leaf = {
  kind: 'leaf';
  type: string;
  charset: string | null;
  encoding: string | null;
  brokenEncoding: boolean;
  disposition: string | null;
  filename: string | null;
  contentId: string | null;
  body: string;
};
type Multipart = {
  kind: 'multipart';
  subtype: string;
  boundary: string;
  children: MimeNode[];
  preamble: string;
  closed: boolean;
};
type Embedded = { kind: 'rfc822'; headers: [string, string][]; inner: MimeNode };
export type MimeNode = Leaf | Multipart | Embedded;

const body: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(...hostile),
  fc
    .array(fc.constantFrom(...hostile.slice(0, 200)), { maxLength: 5 })
    .map((a) => `<html><body>${a.join('')}`),
  fc.constantFrom(
    'Thanks!\r\n\r\nOn Mon, Ann wrote:\r\n> old text\r\n> more',
    'begin 644 ../x.exe\r\nM86)C\r\n`\r\nend\r\n',
    'Visit: http://a.example?"onmouseover="alert(1)"',
    '\u0000\u0000\u0000',
    '=\r\n=\r\n=ZZ=0',
  ),
);

function leaf(type: fc.Arbitrary<string>): fc.Arbitrary<Leaf> {
  return fc.record({
    kind: fc.constant('leaf' as const),
    type,
    charset: fc.option(fc.constantFrom(...CHARSETS)),
    encoding: fc.constantFrom(...ENCODINGS),
    brokenEncoding: fc.boolean(),
    disposition: fc.option(fc.constantFrom('attachment', 'inline', 'ATTACHMENT', 'form-data', '')),
    filename: fc.option(fc.oneof(fc.constantFrom(...FILENAMES), fc.string({ maxLength: 20 }))),
    contentId: fc.option(fc.constantFrom('logo@mail', '', '<<>>', 'a"b', 'x'.repeat(500))),
    body,
  });
}

const boundary = fc.oneof(
  fc.constantFrom('b', 'b1', '', ' ', '--', 'a b', '"', 'b'.repeat(200), '=_Part_0'),
  fc.stringMatching(/^[A-Za-z0-9'()+_,./:=? -]{1,70}$/),
);

export const mimeTree: fc.Arbitrary<MimeNode> = fc.letrec<{ node: MimeNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf(fc.constantFrom(...TYPES)),
    fc.record({
      kind: fc.constant('multipart' as const),
      subtype: fc.constantFrom(
        'mixed',
        'alternative',
        'related',
        'digest',
        'report',
        'signed',
        'x',
      ),
      boundary,
      children: fc.array(tie('node'), { maxLength: 4 }),
      preamble: fc.constantFrom('', 'This is a MIME message.', '--b\r\n'),
      closed: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('rfc822' as const),
      headers: fc.array(fc.tuple(fc.constantFrom('From', 'Subject', 'Date'), headerValue), {
        maxLength: 3,
      }),
      inner: tie('node'),
    }),
  ),
})).node;

function encodeBody(leafNode: Leaf): string {
  const bytes = Buffer.from(leafNode.body, leafNode.charset === 'iso-8859-1' ? 'latin1' : 'utf8');
  const enc = leafNode.encoding?.toLowerCase();
  if (enc === 'base64') {
    const b64 = bytes.toString('base64').replace(/.{1,76}/g, '$&\r\n');
    return leafNode.brokenEncoding ? `${b64.slice(0, -7)}!*\u00ff==AB=` : b64;
  }
  if (enc === 'quoted-printable') {
    const qp = bytes.toString('latin1').replace(/[=\u0080-\u00ff]/g, (c) => {
      const hex = `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
      return leafNode.brokenEncoding ? `${hex.slice(0, 2)}Z` : hex;
    });
    return leafNode.brokenEncoding ? `${qp}=` : qp;
  }
  return bytes.toString('latin1');
}

function params(parts: [string, string | null][]): string {
  return parts
    .filter((p): p is [string, string] => p[1] !== null)
    .map(([k, v]) => `; ${k}="${v}"`)
    .join('');
}

/** The node as MIME text (latin1: one character per byte). */
export function renderNode(node: MimeNode): string {
  if (node.kind === 'leaf') {
    const head = [
      `Content-Type: ${node.type}${params([
        ['charset', node.charset],
        ['name', node.filename],
      ])}`,
    ];
    if (node.encoding !== null) head.push(`Content-Transfer-Encoding: ${node.encoding}`);
    if (node.disposition !== null)
      head.push(`Content-Disposition: ${node.disposition}${params([['filename', node.filename]])}`);
    if (node.contentId !== null) head.push(`Content-ID: <${node.contentId}>`);
    return `${head.join('\r\n')}\r\n\r\n${encodeBody(node)}`;
  }
  if (node.kind === 'rfc822') {
    const head = node.headers.map(([k, v]) => `${k}: ${Buffer.from(v).toString('latin1')}`);
    return `Content-Type: message/rfc822\r\n\r\n${[...head, renderNode(node.inner)].join('\r\n')}`;
  }
  const parts = node.children.map((c) => `--${node.boundary}\r\n${renderNode(c)}\r\n`).join('');
  return (
    `Content-Type: multipart/${node.subtype}; boundary="${node.boundary}"\r\n\r\n` +
    `${node.preamble}\r\n${parts}${node.closed ? `--${node.boundary}--\r\n` : ''}`
  );
}

/** A whole message: top-level headers (some hostile), a MIME tree, then up to two mutations. */
export const hostileMail: fc.Arbitrary<Buffer> = fc
  .record({
    from: headerValue,
    subject: headerValue,
    to: headerValue,
    extra: fc.array(
      fc.tuple(
        fc.constantFrom(
          'Cc',
          'Reply-To',
          'Message-ID',
          'In-Reply-To',
          'References',
          'Date',
          'Auto-Submitted',
          'X-Inlet-Id',
          'Authentication-Results',
          'Return-Path',
          'X',
          ' Bad',
          '',
        ),
        headerValue,
      ),
      { maxLength: 6 },
    ),
    tree: mimeTree,
    mutations: fc.array(mutation, { maxLength: 2 }),
  })
  .map(({ from, subject, to, extra, tree, mutations }) => {
    const head = [['From', from], ['To', to], ['Subject', subject], ...extra]
      .map(([k, v]) => `${k}: ${Buffer.from(v!).toString('latin1')}`)
      .join('\r\n');
    const raw = Buffer.from(`${head}\r\nMIME-Version: 1.0\r\n${renderNode(tree)}\r\n`, 'latin1');
    return mutations.reduce(mutate, raw);
  });
