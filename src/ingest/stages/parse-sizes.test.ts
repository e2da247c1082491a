// Sizes and names a user checks against the files they sent: an empty file is 0 bytes wherever it
// sits in the message, in LF and CRLF mail alike, and a name is not shown with characters lost.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const head =
  'From: a@example.com\nTo: s@example.com\nMessage-ID: <m1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: files\nMIME-Version: 1.0\n';
const files = (m: Awaited<ReturnType<typeof parseMessage>>) =>
  m.attachments.map((a) => [a.filename, a.content.length]);

describe('empty files', () => {
  const message = (crlf: boolean) => {
    const text = `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nTwo logs, the first one is empty.\n--b\nContent-Type: text/plain; name="empty.log"\nContent-Disposition: attachment; filename="empty.log"\n\n\n--b\nContent-Type: application/octet-stream; name="blank.bin"\n\n\n--b\nContent-Type: text/plain; name="full.log"\nContent-Disposition: attachment; filename="full.log"\n\nline one\n--b--\n`;
    return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text, 'latin1');
  };

  it.each([false, true])(
    'lists an empty file followed by another part as 0 bytes (CRLF %s)',
    async (crlf) => {
      const m = await parseMessage(message(crlf));
      expect(files(m)).toEqual([
        ['empty.log', 0],
        ['blank.bin', 0],
        ['full.log', 8],
      ]);
      expect(m.text).toBe('Two logs, the first one is empty.');
    },
  );
});

describe('file names', () => {
  const part = (disposition: string) =>
    Buffer.from(
      `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nThe order form.\n--b\nContent-Type: application/pdf;\n name="=?UTF-8?B?QmVzdGVsbHVuZ1/lpKfpmKou?= =?UTF-8?Q?pdf?="\nContent-Disposition: attachment;\n ${disposition}\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n`.replace(
        /\n/g,
        '\r\n',
      ),
      'latin1',
    );

  it("shows the type's name where the filename is a copy with characters lost to '?'", async () => {
    const m = await parseMessage(part(`filename*=iso-8859-1''Bestellung_%3F%3F.pdf`));
    expect(m.attachments.map((a) => a.filename)).toEqual(['Bestellung_大阪.pdf']);
  });

  it('keeps a filename that differs from the name in more than lost characters', async () => {
    const m = await parseMessage(part(`filename="Bestellung_2024.pdf"`));
    expect(m.attachments.map((a) => a.filename)).toEqual(['Bestellung_2024.pdf']);
  });
});
