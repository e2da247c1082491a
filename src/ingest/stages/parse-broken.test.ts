// Unusual and broken MIME shown as a mail client shows it (issue #16, structure): one version of an
// alternative, not all of them; a multipart whose boundary is missing or misdeclared, a transfer
// encoding written with quotes or parameters, a header without its blank line — none loses the body.
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

const png = Buffer.from('not really a PNG, 32 bytes long.').toString('base64');
const filePart = `Content-Type: image/png; name="scan.png"\nContent-Transfer-Encoding: base64\n\n${png}`;

describe('boundaries', () => {
  it('finds the parts of a multipart that declares no boundary', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed\n\n--sep1\nContent-Type: text/plain\n\nThe scan is attached.\n--sep1\n${filePart}\n--sep1--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('The scan is attached.');
    expect(m.attachments.map((a) => [a.filename, a.size])).toEqual([['scan.png', 32]]);
  });

  it('finds the parts when the declared boundary never occurs but another one does', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="declared"\n\n--used\nContent-Type: text/plain\n\nThe scan is attached.\n--used\n${filePart}\n--used--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('The scan is attached.');
    expect(m.attachments.map((a) => a.filename)).toEqual(['scan.png']);
  });

  it('shows a message declared multipart without any part as its text', async () => {
    const m = await parseMessage(
      mail(`${head}Content-Type: multipart/mixed; boundary="nope"\n\nMy VPN drops every hour.\n`),
    );
    expect(m.text?.trim()).toBe('My VPN drops every hour.');
  });

  it('takes no rule of dashes or signature separator for a boundary', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed\n\nFirst line.\n-----\nSecond line.\n-----\n-- \nJane\n`,
      ),
    );
    expect(m.text).toContain('First line.');
    expect(m.text).toContain('Second line.');
    expect(m.attachments).toEqual([]);
  });
});

describe('transfer encodings and header blocks', () => {
  it('decodes a transfer encoding written in quotes or with a parameter', async () => {
    const body = Buffer.from('Password reset please.').toString('base64');
    for (const cte of ['"base64"', 'base64; x=1', 'Base64 (encoded)']) {
      const m = await parseMessage(
        mail(`${head}Content-Type: text/plain\nContent-Transfer-Encoding: ${cte}\n\n${body}\n`),
      );
      expect(m.text?.trim()).toBe('Password reset please.');
    }
  });

  it('shows the body of a message whose header has no blank line after it', async () => {
    const m = await parseMessage(
      mail(`${head}Content-Type: text/plain\nThe laptop will not boot.\nIt beeps twice.\n`),
    );
    expect(m.text?.trim()).toBe('The laptop will not boot.\nIt beeps twice.');
  });

  it('shows the body of a part that starts right after its boundary line', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/mixed; boundary="b"\n\n--b\nThe scan is attached.\n--b\n${filePart}\n--b--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('The scan is attached.');
    expect(m.attachments.map((a) => a.filename)).toEqual(['scan.png']);
  });

  it('keeps reading the header past a line that continues a field without folding', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: multipart/alternative;\nboundary="alt"\n\n--alt\nContent-Type: text/plain\n\nPlain version.\n--alt\nContent-Type: text/html\n\n<p>HTML version.</p>\n--alt--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('Plain version.');
    expect(m.html).toContain('HTML version.');
  });
});

describe('contradicting declarations', () => {
  it('shows prose in a text part declared base64 as the prose, not as a garbage attachment', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nHi, the shared drive is read-only since this morning.\nCan you check? Thanks, Jane\n`,
      ),
    );
    expect(m.text?.trim()).toBe(
      'Hi, the shared drive is read-only since this morning.\nCan you check? Thanks, Jane',
    );
    expect(m.attachments).toEqual([]);
  });

  it('still decodes real base64 in a text part, even with a stray space', async () => {
    const b = Buffer.from('The shared drive is read-only.').toString('base64');
    const m = await parseMessage(
      mail(
        `${head}Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${b.slice(0, 12)} ${b.slice(12)}\n`,
      ),
    );
    expect(m.text?.trim()).toBe('The shared drive is read-only.');
  });

  it('takes a later multipart Content-Type whose boundary the body uses over a first text/plain', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: text/plain\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nThe scan is attached.\n--b\n${filePart}\n--b--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('The scan is attached.');
    expect(m.attachments.map((a) => a.filename)).toEqual(['scan.png']);
  });
});

describe('sender', () => {
  it('reads the address out of a pasted mailto: link and leaves stray brackets out of the name', async () => {
    const from = async (value: string) =>
      (await parseMessage(mail(`From: ${value}\nTo: s@example.com\nSubject: s\n\nbody\n`))).from;
    expect(await from('Jane Doe <mailto:Jane@Example.com>')).toEqual({
      name: 'Jane Doe',
      address: 'Jane@example.com',
    });
    expect(await from('Jane Doe <<jane@example.com>>')).toEqual({
      name: 'Jane Doe',
      address: 'jane@example.com',
    });
    expect(await from('Jane Doe [jane@example.com]')).toEqual({
      name: 'Jane Doe',
      address: 'jane@example.com',
    });
  });
});

describe('header lines that are no fields', () => {
  it('leaves a broken field alone instead of folding it into the Content-Type above', async () => {
    const m = await parseMessage(
      mail(
        `${head}Content-Type: text/plain; charset=iso-8859-1\nThread Topic: printer\n\nDrucker kaputt, Gr\xfc\xdfe\n`,
      ),
    );
    expect(m.text?.trim()).toBe('Drucker kaputt, Grüße');
  });
});

describe('line ends', () => {
  it('reads mail saved with bare CR line ends (classic Mac OS) as its CRLF copy', async () => {
    const text = `${head}Content-Type: text/plain; charset=utf-8\n\nThe scanner on floor 3 is offline.\nCan someone look?\n`;
    const crlf = await parseMessage(mail(text));
    const cr = await parseMessage(Buffer.from(text.replace(/\n/g, '\r'), 'latin1'));
    expect(cr.subject).toBe('s');
    expect(cr.from?.address).toBe('a@example.com');
    expect(cr.text?.trim()).toBe('The scanner on floor 3 is offline.\nCan someone look?');
    expect(cr.text).toBe(crlf.text);
  });

  it('leaves a CR inside an otherwise LF-ended message alone', async () => {
    const m = await parseMessage(
      Buffer.from(`${head}Content-Type: text/plain\n\nFirst\rline.\n`, 'latin1'),
    );
    expect(m.subject).toBe('s');
    expect(m.text).toContain('First');
  });
});
