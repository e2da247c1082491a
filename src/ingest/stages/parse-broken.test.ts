// Unusual and broken MIME shown as a mail client shows it (issue #16, structure): one version of an
// alternative, not all of them.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const mail = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
const head =
  'From: a@example.com\nTo: s@example.com\nSubject: s\nMessage-ID: <m1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n';

describe('multipart/alternative', () => {
  it('shows only the last of several plain versions, the preferred one', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/alternative; boundary="v"\n\n--v\nContent-Type: text/plain; charset=us-ascii\n\nShort version.\n\n--v\nContent-Type: text/plain; charset=utf-8\n\nThe printer on floor 2 is jammed again.\n--v--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('The printer on floor 2 is jammed again.');
    expect(m.attachments).toEqual([]);
  });

  it('leaves out a plain version whose header holds raw 8-bit bytes, with its repair', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/alternative; boundary="v"\n\n--v\nContent-Type: text/plain; charset=iso-8859-1\nContent-Description: Gr\xfc\xdfe\n\nGr\xfc\xdfe, kurz.\n--v\nContent-Type: text/plain; charset=iso-8859-1\n\nGr\xfc\xdfe, der Drucker klemmt.\n--v--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('Grüße, der Drucker klemmt.');
  });

  it('still shows the plain version beside an HTML one, and a plain piece outside the alternative', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: multipart/alternative; boundary="v"\n\n--v\nContent-Type: text/plain\n\nPlain question.\n--v\nContent-Type: text/html\n\n<p>HTML question.</p>\n--v--\n\n--b\nContent-Type: text/plain\n\nList footer.\n--b--\n`,
      ),
    );
    expect(m.text).toContain('Plain question.');
    expect(m.text).toContain('List footer.');
    expect(m.text).not.toContain('HTML question.');
  });
});
