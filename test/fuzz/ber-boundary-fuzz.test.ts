// Seeded property tests for the two byte-level readers that run before any library: the S/MIME
// BER reader (smime.ts signedContent) and the boundary scanner (mime-scan.ts over
// mime-boundaries.ts). Well-formed input must lose nothing; random and mutated input must never
// throw out of them, and what they return can only be made of the input's own bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { isAppError } from '../../src/errors.js';
import { scanMime } from '../../src/ingest/stages/mime-scan.js';
import { signedContent } from '../../src/ingest/stages/smime.js';
import { fuzzParams } from './fuzz-runs.js';

// ---- BER: ContentInfo { signedData, [0] SignedData { version, digests, encap { data, [0] OCTET STRING } } }

const SIGNED = Buffer.from('06092a864886f70d010702', 'hex');
const DATA = Buffer.from('06092a864886f70d010701', 'hex');

/** How one constructed element is written: DER's definite length or BER's indefinite one. */
type Form = 'definite' | 'indefinite';

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, content: Buffer, form: Form = 'definite'): Buffer {
  return form === 'indefinite' && (tag & 0x20) !== 0
    ? Buffer.concat([Buffer.from([tag, 0x80]), content, Buffer.from([0, 0])])
    : Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}
/** The content as one OCTET STRING, or chunked in a constructed one (Outlook, openssl -stream). */
function octetString(content: Buffer, chunks: number[], form: Form): Buffer {
  if (chunks.length === 0) return tlv(0x04, content);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const size of chunks) {
    pieces.push(tlv(0x04, content.subarray(at, at + size)));
    at += size;
  }
  if (at < content.length) pieces.push(tlv(0x04, content.subarray(at)));
  return tlv(0x24, Buffer.concat(pieces), form);
}
function signedData(content: Buffer, chunks: number[], forms: Form[]): Buffer {
  const f = (i: number): Form => forms[i % forms.length] ?? 'definite';
  const encap = tlv(
    0x30,
    Buffer.concat([DATA, tlv(0xa0, octetString(content, chunks, f(0)), f(1))]),
    f(2),
  );
  const body = tlv(
    0x30,
    Buffer.concat([tlv(0x02, Buffer.from([1])), tlv(0x31, Buffer.alloc(0), f(3)), encap]),
    f(4),
  );
  return tlv(0x30, Buffer.concat([SIGNED, tlv(0xa0, body, f(5))]), f(6));
}

const signed = fc
  .record({
    content: fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
    chunks: fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 6 }),
    forms: fc.array(fc.constantFrom<Form>('definite', 'indefinite'), {
      minLength: 7,
      maxLength: 7,
    }),
  })
  .map(({ content, chunks, forms }) => ({ content, der: signedData(content, chunks, forms) }));

/** Truncation, flipped bytes, an inserted run and a repeated slice: what a broken relay does. */
const berMutation = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 64 }),
    times: fc.integer({ min: 2, max: 200 }),
  }),
);
type BerMutation = typeof berMutation extends fc.Arbitrary<infer T> ? T : never;
function mutateBer(der: Buffer, m: BerMutation): Buffer {
  const at = der.length === 0 ? 0 : m.at % der.length;
  switch (m.kind) {
    case 'cut':
      return der.subarray(0, at);
    case 'flip': {
      const copy = Buffer.from(der);
      if (copy.length > 0) copy[at] = m.byte;
      return copy;
    }
    case 'insert':
      return Buffer.concat([der.subarray(0, at), Buffer.from(m.bytes), der.subarray(at)]);
    case 'repeat': {
      const slice = der.subarray(at, at + m.len);
      return Buffer.concat([
        der.subarray(0, at),
        ...Array<Buffer>(m.times).fill(slice),
        der.subarray(at),
      ]);
    }
  }
}

describe('S/MIME BER reader under generated and mutated input', () => {
  it('returns exactly the wrapped entity, in every mix of definite, indefinite and chunked forms', () => {
    fc.assert(
      fc.property(signed, ({ content, der }) => {
        expect(signedContent(der)?.equals(content)).toBe(true);
      }),
      fuzzParams(300),
    );
  });

  it('never throws on mutated or random bytes, and returns only bytes it was given', () => {
    const input = fc.oneof(
      fc
        .tuple(signed, fc.array(berMutation, { minLength: 1, maxLength: 3 }))
        .map(([s, ms]) => ms.reduce<Buffer>((der, m) => mutateBer(der, m), s.der)),
      fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
    );
    fc.assert(
      fc.property(input, (der) => {
        const out = signedContent(der);
        if (out !== null) expect(out.length).toBeLessThanOrEqual(der.length);
      }),
      fuzzParams(1000),
    );
  });
});

// ---- Boundaries: well-formed trees whose boundaries use every character RFC 2046 allows (and the
// spaces and non-ASCII bytes clients send), scanned part by part.

const BCHARS =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? \u00e9\u00fc";
const boundary = fc
  .array(fc.constantFrom(...BCHARS), { minLength: 1, maxLength: 70 })
  .map((cs) => `${cs.join('')}x`); // never ends in a space
const leafBody = fc
  .array(fc.constantFrom('text', ' ', '-', '--', '\r\n', 'a--b', '=', 'é'), { maxLength: 30 })
  .map((ws) => ws.join('').replace(/\r\n--/g, '\r\n -'));

type Tree = { kind: 'leaf'; body: string } | { kind: 'multi'; boundary: string; parts: Tree[] };
const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('leaf' as const), body: leafBody }),
    fc.record({
      kind: fc.constant('multi' as const),
      boundary,
      parts: fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
    }),
  ),
})).node;

/** Nodes in the tree: what scanMime counts as parts (the message itself is one). */
const countParts = (t: Tree): number =>
  t.kind === 'leaf' ? 1 : 1 + t.parts.reduce((n, p) => n + countParts(p), 0);

/** Boundaries are made unique per tree by their depth and position, as mail clients do. */
function render(t: Tree, path: string): string {
  if (t.kind === 'leaf') return `Content-Type: text/plain; charset=utf-8\r\n\r\n${t.body}\r\n`;
  const b = `${t.boundary}${path}`;
  const parts = t.parts.map((p, i) => `--${b}\r\n${render(p, `${path}.${i}`)}`).join('');
  return `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\npreamble\r\n${parts}--${b}--\r\n`;
}

describe('boundary scanner under generated and mutated trees', () => {
  it('finds every part of a well-formed tree, whatever characters its boundaries use', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const raw = Buffer.from(`From: a@b.example\r\nSubject: s\r\n${render(t, 'Q')}`, 'latin1');
        expect(scanMime(raw).parts).toBe(countParts(t));
      }),
      fuzzParams(500),
    );
  });

  it('never throws on mutated trees except with a limit error', () => {
    const mutated = fc
      .tuple(tree, fc.array(berMutation, { minLength: 1, maxLength: 3 }))
      .map(([t, ms]) =>
        ms.reduce<Buffer>(
          (raw, m) => mutateBer(raw, m),
          Buffer.from(`From: a@b.example\r\n${render(t, 'Q')}`, 'latin1'),
        ),
      );
    fc.assert(
      fc.property(mutated, (raw) => {
        try {
          const scan = scanMime(raw);
          expect(scan.parts).toBeGreaterThanOrEqual(1);
        } catch (e) {
          expect(isAppError(e)).toBe(true);
        }
      }),
      fuzzParams(500),
    );
  });
});
