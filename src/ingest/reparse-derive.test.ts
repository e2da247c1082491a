// The pure step of the rebuild: what is derived again, what stays as stored, and when stored
// attachments no longer match what the original parses into.
import { createHash } from 'node:crypto';

import { describe, expect, test } from 'vitest';

import { prepareMessage, type StoredHeaders } from './prepare.js';
import { type DerivedViews, rederive, type StoredAttachment } from './reparse-derive.js';
import { defaultIngestLimits } from './types.js';

const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const raw = Buffer.from(
  [
    'From: =?utf-8?q?Ren=C3=A9e?= <renee@client.example>',
    'To: support@acme.example',
    'Subject: =?utf-8?q?Caf=C3=A9_order?=',
    'Date: Tue, 01 Dec 2026 09:00:00 +0000',
    'Message-ID: <order-7@client.example>',
    'In-Reply-To: <inlet-1@acme.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/related; boundary="rel"',
    '',
    '--rel',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>The order page shows this:</p><img src="cid:err@client.example">',
    '--rel',
    'Content-Type: image/png',
    'Content-ID: <err@client.example>',
    'Content-Transfer-Encoding: base64',
    '',
    png.toString('base64'),
    '--rel--',
    '',
  ].join('\r\n'),
);

// The test's own keyed digest: rederive only compares what it is given.
const digest = (sha: string) => createHash('sha256').update(`key:${sha}`).digest();
const sha = createHash('sha256').update(png).digest('hex');

const storedAttachment = (over: Partial<StoredAttachment> = {}): StoredAttachment => ({
  id: '6f1c2a34-0000-4000-8000-000000000001',
  position: 0,
  size: png.length,
  contentId: 'err@client.example',
  digest: digest(sha),
  ...over,
});

const oldViews = (headers: Partial<StoredHeaders> = {}): DerivedViews => ({
  headers: {
    subject: '=?utf-8?q?Caf=C3=A9_order?=',
    from: { name: '', address: 'renee@client.example' },
    to: [],
    cc: [],
    reply_to: [],
    date: null,
    message_id: 'kept-as-threaded@client.example',
    in_reply_to: ['kept@acme.example'],
    references: [],
    bounce: { recipients: [] },
    ...headers,
  },
  text: 'old',
  html: '<p>old</p>',
  reply: 'old',
  warnings: ['charset_fallback'],
  sentAt: null,
});

describe('rederive', () => {
  test('shown header fields and bodies are derived again; threading ids and classification stay; cid links point at the stored attachment', async () => {
    const prepared = await prepareMessage(raw, defaultIngestLimits);
    const r = rederive(prepared, oldViews(), [storedAttachment()], digest);
    if (r.outcome !== 'rebuilt') throw new Error(r.outcome);
    expect(r.views.headers).toMatchObject({
      subject: 'Café order',
      from: { name: 'Renée', address: 'renee@client.example' },
      date: '2026-12-01T09:00:00.000Z',
      message_id: 'kept-as-threaded@client.example',
      in_reply_to: ['kept@acme.example'],
      bounce: { recipients: [] },
    });
    expect(r.views.html).toContain('/v1/attachments/6f1c2a34-0000-4000-8000-000000000001/content');
    expect(r.views.html).not.toContain(prepared.attachments[0]!.id);
    expect(r.changed).toEqual(['headers', 'text', 'html', 'reply', 'warnings', 'sent_at']);
    // Given its own result as what is stored, nothing changes.
    expect(rederive(prepared, r.views, [storedAttachment()], digest)).toEqual({
      outcome: 'unchanged',
    });
  });

  test('other bytes, another Content-ID, another count or place: the attachments changed', async () => {
    const prepared = await prepareMessage(raw, defaultIngestLimits);
    for (const stored of [
      [storedAttachment({ digest: digest('0'.repeat(64)) })],
      [storedAttachment({ contentId: 'other@client.example' })],
      [storedAttachment({ size: png.length + 1 })],
      [storedAttachment({ position: 1 })],
      [],
      [storedAttachment(), storedAttachment({ position: 1 })],
    ])
      expect(rederive(prepared, oldViews(), stored, digest)).toEqual({
        outcome: 'attachments_changed',
      });
    // Rows stored before digests existed are matched on the rest.
    expect(
      rederive(prepared, oldViews(), [storedAttachment({ digest: null })], digest).outcome,
    ).toBe('rebuilt');
  });
});
