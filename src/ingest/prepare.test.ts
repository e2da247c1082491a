import { describe, expect, it } from 'vitest';

import { prepareMessage } from './prepare.js';
import { MAX_HTML_DEPTH } from './stages/html-depth.js';
import { defaultIngestLimits } from './types.js';

const deepHtml =
  '<div>'.repeat(MAX_HTML_DEPTH + 1) +
  '<p>Printer on floor 3 is jammed</p><script>steal()</script><b>Thanks</b>';

function mail(parts: { type: string; body: string }[]): Buffer {
  const head =
    'From: Ann <ann@example.com>\r\nTo: support@inlet.test\r\nSubject: Printer\r\nMessage-ID: <deep@example.com>\r\nMIME-Version: 1.0\r\n';
  if (parts.length === 1)
    return Buffer.from(
      `${head}Content-Type: ${parts[0]!.type}; charset=utf-8\r\n\r\n${parts[0]!.body}\r\n`,
    );
  const body = parts
    .map((p) => `--b\r\nContent-Type: ${p.type}; charset=utf-8\r\n\r\n${p.body}\r\n`)
    .join('');
  return Buffer.from(
    `${head}Content-Type: multipart/alternative; boundary="b"\r\n\r\n${body}--b--\r\n`,
  );
}

describe('prepareMessage with an HTML body nested too deep to sanitise', () => {
  it('stores no HTML, says why, and keeps a plain-text rendering when there is no text part', async () => {
    const m = await prepareMessage(
      mail([{ type: 'text/html', body: deepHtml }]),
      defaultIngestLimits,
    );
    expect(m.html).toBeNull();
    expect(m.warnings).toContain('html_too_deep');
    expect(m.text).toBe('Printer on floor 3 is jammed\n\nThanks');
    expect(m.reply).toBe('Printer on floor 3 is jammed\n\nThanks');
  });

  it('keeps the text part when there is one', async () => {
    const m = await prepareMessage(
      mail([
        { type: 'text/plain', body: 'Printer jammed (text part)' },
        { type: 'text/html', body: deepHtml },
      ]),
      defaultIngestLimits,
    );
    expect(m.html).toBeNull();
    expect(m.warnings).toContain('html_too_deep');
    expect(m.text).toBe('Printer jammed (text part)');
  });

  it('sanitises an ordinary HTML body as before', async () => {
    const m = await prepareMessage(
      mail([
        { type: 'text/html', body: '<div><p>Hello <b>there</b></p><script>x()</script></div>' },
      ]),
      defaultIngestLimits,
    );
    expect(m.html?.trim()).toBe('<div><p>Hello <b>there</b></p></div>');
    expect(m.warnings).not.toContain('html_too_deep');
    expect(m.text).toBe('Hello there');
  });
});
