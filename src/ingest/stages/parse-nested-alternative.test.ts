// A multipart/alternative whose versions are themselves alternatives (each a plain and an HTML
// version): RFC 2046 5.1.4 has a client show only the last version it can, but the text of every
// version was joined into the body, so the agent read the message twice or in two drafts.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const head =
  'From: a@example.com\r\nTo: s@example.com\r\nSubject: s\r\nMessage-ID: <m1@example.com>\r\n';

/** A multipart of `type` with boundary `b` around the given parts (each its headers, a blank line, its body). */
const multipart = (type: string, b: string, parts: string[]) =>
  `Content-Type: ${type}; boundary="${b}"\r\n\r\n${parts.map((p) => `--${b}\r\n${p}\r\n`).join('')}--${b}--\r\n`;
const plain = (text: string) => `Content-Type: text/plain; charset=utf-8\r\n\r\n${text}`;
const html = (text: string) => `Content-Type: text/html; charset=utf-8\r\n\r\n<p>${text}</p>`;
const mail = (body: string) => Buffer.from(`${head}${body}`);

describe('an alternative whose versions are alternatives', () => {
  it('shows only the last version, as text and as HTML', async () => {
    const m = await parseMessage(
      mail(
        multipart('multipart/alternative', 'outer', [
          multipart('multipart/alternative', 'first', [
            plain('Draft: the printer is broken'),
            html('Draft: the printer is broken'),
          ]),
          multipart('multipart/alternative', 'second', [
            plain('The printer on floor 2 is broken'),
            html('The printer on floor 2 is broken'),
          ]),
        ]),
      ),
    );
    expect(m.text?.trim()).toBe('The printer on floor 2 is broken');
    expect(m.html).toContain('The printer on floor 2 is broken');
    expect(m.html).not.toContain('Draft');
  });

  it('keeps an earlier version when what follows is no body a client shows (an invitation)', async () => {
    const m = await parseMessage(
      mail(
        multipart('multipart/alternative', 'outer', [
          multipart('multipart/alternative', 'first', [
            plain('Meeting at ten'),
            html('Meeting at ten'),
          ]),
          'Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR',
        ]),
      ),
    );
    expect(m.text?.trim()).toBe('Meeting at ten');
  });

  it('keeps an earlier version that holds a file, and the later version shown', async () => {
    const m = await parseMessage(
      mail(
        multipart('multipart/alternative', 'outer', [
          multipart('multipart/alternative', 'first', [
            plain('See the invoice'),
            'Content-Type: application/pdf; name="invoice.pdf"\r\nContent-Disposition: attachment; filename="invoice.pdf"\r\n\r\n%PDF-1.4',
          ]),
          multipart('multipart/alternative', 'second', [
            plain('See the attached invoice'),
            html('See the attached invoice'),
          ]),
        ]),
      ),
    );
    expect(m.attachments.map((a) => a.filename)).toEqual(['invoice.pdf']);
    expect(m.text).toContain('See the attached invoice');
  });
});
