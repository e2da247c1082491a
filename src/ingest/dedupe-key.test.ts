import { describe, expect, it } from 'vitest';

import { contentFingerprint } from './dedupe-key.js';
import { prepareMessage } from './prepare.js';
import { parseMessage } from './stages/parse.js';
import { defaultIngestLimits } from './types.js';

// Stored dedupe keys are HMACs of this fingerprint: a message delivered again after an upgrade must
// fingerprint exactly as it did when it was stored, or it would be stored twice.
const raw = Buffer.from(
  [
    'From: "Ada Client" <Ada@Client.example>',
    'To: support@inlet.example, second@inlet.example',
    'Cc: watcher@client.example',
    'Subject: Printer on fire — again',
    'Date: Mon, 07 Dec 2026 09:30:00 +0100',
    'Message-ID: <fire-2@client.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'The printer is on fire again. Grüße, Ada',
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    '<p>The printer is on <b>fire</b> again. Grüße, Ada</p>',
    '--alt--',
    '--outer',
    'Content-Type: image/png; name="flames.png"',
    'Content-Disposition: attachment; filename="flames.png"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('\x89PNG\r\n\x1a\nnot really a picture of flames').toString('base64'),
    '--outer',
    'Content-Type: text/plain; name="log.txt"',
    'Content-Disposition: attachment; filename="log.txt"',
    '',
    'paper jam at 09:29, smoke at 09:30',
    '--outer--',
    '',
  ].join('\r\n'),
);

describe('contentFingerprint', () => {
  it('is the digest messages already stored were deduplicated by', async () => {
    const prepared = await prepareMessage(raw, defaultIngestLimits);
    expect(prepared.attachments).toHaveLength(2);
    expect(contentFingerprint(prepared.parsed)).toBe(GOLDEN);
    // With the HTML body still on the parsed message (prepare drops it before keying).
    const parsed = await parseMessage(raw, defaultIngestLimits);
    expect(parsed.html).not.toBeNull();
    expect(contentFingerprint(parsed)).toBe(GOLDEN_WITH_HTML);
  });

  it('changes with any attachment byte', async () => {
    const prepared = await prepareMessage(raw, defaultIngestLimits);
    const other = await prepareMessage(
      Buffer.from(raw.toString('latin1').replace('smoke at 09:30', 'smoke at 09:31'), 'latin1'),
      defaultIngestLimits,
    );
    expect(contentFingerprint(other.parsed)).not.toBe(contentFingerprint(prepared.parsed));
  });
});

const GOLDEN = 'd1186d71a25ec9d623394a8763e3d322482e45ec75f03bcaebf57609ab046142';
const GOLDEN_WITH_HTML = '2479509bef151827f66bb40ea7ebad1a6c9e574dd686bfd8d6959b06720bf9ad';
