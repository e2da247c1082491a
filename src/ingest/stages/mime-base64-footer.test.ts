// A list footer appended as plain text after a base64 body: the body is decoded, the footer kept as text.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const mail = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
const head =
  'From: a@example.com\nTo: s@example.com\nMessage-ID: <m1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: s\nMIME-Version: 1.0\n';
const b64 = (text: string) =>
  Buffer.from(text, 'utf8')
    .toString('base64')
    .replace(/.{1,76}/g, '$&\n');
const footer =
  '_______________________________________________\nsupport mailing list\nsupport@lists.example.com\n';

describe('a text footer after a base64 body', () => {
  it('decodes a long body and keeps the footer as text, with no garbage bytes', async () => {
    const body =
      'Hello team,\nthe printer on floor 3 is broken again since Monday morning.\nRegards, Ann\n';
    const m = await parseMessage(
      mail(
        `${head}Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${b64(body)}${footer}`,
      ),
    );
    expect(m.text).toBe(`${body}${footer}`);
    expect(m.warnings).not.toContain('charset_fallback');
  });

  it('does not show a short body raw because the footer looks like prose', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${b64('Grüße, it works.\n')}\n${footer}https://lists.example.com/listinfo/support\n`,
      ),
    );
    expect(m.text).toBe(`Grüße, it works.\n${footer}https://lists.example.com/listinfo/support\n`);
  });

  it('does so in the text part of a multipart message, leaving the other parts alone', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${b64('Grüße, it works.\n')}-- \nsupport mailing list\n--b\nContent-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IK\n--b--\n`,
      ),
    );
    expect(m.text).toBe('Grüße, it works.\n-- \nsupport mailing list\n');
    expect(m.attachments[0]!.content.toString('latin1')).toMatch(/^%PDF-1\.4/);
  });

  it('reads a second base64 run after the padding of the first one as base64, not as a footer', async () => {
    const first = 'First paragraph of a long message written by the sender.\n';
    const second = 'Second paragraph of the same long message, still base64.\n';
    const m = await parseMessage(
      mail(
        `${head}Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${b64(first)}${b64(second)}`,
      ),
    );
    expect(m.text).toBe(`${first}${second}`);
  });
});
