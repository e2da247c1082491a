import { randomBytes } from 'node:crypto';

import { describe, expect, test } from 'vitest';

import {
  checkIdempotencyKey,
  readReplyRequest,
  replyLimits,
  requestFingerprint,
} from './reply-input.js';

const file = (bytes: number) => ({
  filename: 'f.bin',
  content_type: 'application/octet-stream',
  content_base64: Buffer.alloc(bytes, 7).toString('base64'),
});

describe('readReplyRequest', () => {
  test('attachments: decoded exactly, limited in total to the byte', () => {
    const exact = readReplyRequest({
      text: 'x',
      attachments: [file(replyLimits.maxAttachmentBytes - 1), file(1)],
    });
    expect(exact.attachments.map((a) => a.content.length)).toEqual([
      replyLimits.maxAttachmentBytes - 1,
      1,
    ]);
    expect(() =>
      readReplyRequest({ text: 'x', attachments: [file(replyLimits.maxAttachmentBytes), file(1)] }),
    ).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
    for (const bad of ['aGk', 'a Gk=', 'aG=k', 'aGk=\n', '****']) {
      expect(
        () => readReplyRequest({ text: 'x', attachments: [{ ...file(1), content_base64: bad }] }),
        bad,
      ).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    }
  });

  test('needs a body; blank text does not count', () => {
    expect(() => readReplyRequest({ text: '  ' })).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
    expect(readReplyRequest({ html: '<p>x</p>' })).toMatchObject({ text: null, html: '<p>x</p>' });
  });

  test('refuses HTML nested deeper than the sanitiser accepts, with the field named', () => {
    const deep = `${'<div>'.repeat(1001)}x${'</div>'.repeat(1001)}`;
    expect(() => readReplyRequest({ html: deep })).toThrow(
      expect.objectContaining({ code: 'validation_failed', extra: { field: 'html' } }),
    );
    expect(() => readReplyRequest({ html: `<p>${'x'.repeat(10 * 1024 * 1024)}</p>` })).toThrow(
      expect.objectContaining({ code: 'payload_too_large', extra: { field: 'html' } }),
    );
    const fine = `${'<div>'.repeat(60)}x${'</div>'.repeat(60)}`;
    expect(readReplyRequest({ html: fine }).html).toBe(fine);
  });

  test('cc: one parser, duplicates (by address) once', () => {
    expect(readReplyRequest({ text: 'x', cc: ['A <a@b.example>', 'a@B.EXAMPLE'] }).cc).toEqual([
      { name: 'A', address: 'a@b.example' },
    ]);
  });
});

describe('idempotency', () => {
  test('keys are 1–200 printable ASCII characters', () => {
    for (const ok of ['k', 'a'.repeat(200), 'reply 42/ä'.replace('ä', 'a')])
      expect(checkIdempotencyKey(ok)).toBe(ok);
    for (const bad of [undefined, '', ' lead', 'a'.repeat(201), 'tab\tkey', 'nl\n', 'ümlaut']) {
      expect(() => checkIdempotencyKey(bad), String(bad)).toThrow(
        expect.objectContaining({ code: 'validation_failed' }),
      );
    }
  });

  test('the fingerprint changes with the ticket or any part of the body, and with the tenant key', () => {
    const key = randomBytes(32);
    const body = { text: 'a', cc: ['c@d.example'] };
    const base = requestFingerprint(key, 't1', body);
    expect(requestFingerprint(key, 't1', { cc: ['c@d.example'], text: 'a' })).toEqual(base);
    for (const other of [
      requestFingerprint(key, 't2', body),
      requestFingerprint(key, 't1', { ...body, text: 'b' }),
      requestFingerprint(key, 't1', { ...body, html: 'a' }),
      requestFingerprint(key, 't1', { text: 'a' }),
      requestFingerprint(randomBytes(32), 't1', body),
    ]) {
      expect(other.equals(base)).toBe(false);
    }
  });
});
