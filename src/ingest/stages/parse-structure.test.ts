// MIME structure and charsets as a mail client shows them: attached files and forwarded messages
// are attachments, UTF-7 and raw bytes in encoded words are decoded, broken headers do not win.
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const mail = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
const head =
  'From: a@example.com\nTo: s@example.com\nMessage-ID: <m1@example.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n';

describe('charsets', () => {
  it('reads a raw 8-bit byte inside an encoded word in the charset the word names', async () => {
    const m = await parseMessage(mail(`${head}Subject: =?iso-8859-1?Q?Gr\xfcn?=\n\nbody\n`));
    expect(m.subject).toBe('Grün');
  });

  it('decodes UTF-7 in encoded words and in a text part', async () => {
    const m = await parseMessage(
      mail(
        `${head}Subject: =?utf-7?Q?Gr+APw-n?=\nContent-Type: text/plain; charset=utf-7\n\nDie Farbe ist Gr+APw-n, 1+-1=2.\n`,
      ),
    );
    expect(m.subject).toBe('Grün');
    expect(m.text?.trim()).toBe('Die Farbe ist Grün, 1+1=2.');
  });
});

describe('structure', () => {
  const mixed = (parts: string) =>
    mail(
      `${head}Subject: s\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n${parts}\n--b--\n`,
    );

  it('keeps an inline text part that names a file as an attachment, not as body text', async () => {
    const m = await parseMessage(
      mixed(
        'Content-Type: text/plain\n\nSee the notes.\n--b\nContent-Type: text/plain; name="notes.txt"\nContent-Disposition: inline; filename="notes.txt"\n\nline one of the notes',
      ),
    );
    expect(m.text?.trim()).toBe('See the notes.');
    expect(m.attachments.map((a) => [a.filename, a.content.toString().trim()])).toEqual([
      ['notes.txt', 'line one of the notes'],
    ]);
  });

  it('keeps a forwarded message sent inline whole, as one .eml attachment named by its subject', async () => {
    const fwd = 'From: b@example.com\nSubject: Original question\n\nThe forwarded body.';
    const m = await parseMessage(
      mixed(
        `Content-Type: text/plain\n\nForwarding this.\n--b\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n${fwd}`,
      ),
    );
    expect(m.text).not.toContain('The forwarded body');
    expect(m.attachments.map((a) => [a.filename, a.declaredType])).toEqual([
      ['Original question.eml', 'message/rfc822'],
    ]);
    expect(m.attachments[0]!.content.toString()).toContain('The forwarded body.');
  });

  it('keeps each digest member as its own .eml attachment', async () => {
    const m = await parseMessage(
      mixed(
        'Content-Type: text/plain\n\nThis week.\n--b\nContent-Type: multipart/digest; boundary="d"\n\n--d\n\nFrom: x@example.com\nSubject: First post\n\none\n--d\n\nFrom: y@example.com\nSubject: Second post\n\ntwo\n--d--',
      ),
    );
    expect(m.text?.trim()).toBe('This week.');
    expect(m.attachments.map((a) => a.filename)).toEqual(['First post.eml', 'Second post.eml']);
  });

  it('does not take a bare word in From for the sender address', async () => {
    const m = await parseMessage(
      mail('From: Moderator-Address\nTo: s@example.com\nSubject: s\n\nbody\n'),
    );
    expect(m.from).toEqual({ name: 'Moderator-Address', address: '' });
    expect(m.warnings).toContain('from_invalid');
    const withReplyTo = await parseMessage(
      mail(
        'From: Moderator-Address\nReply-To: mod@example.com\nTo: s@example.com\nSubject: s\n\nbody\n',
      ),
    );
    expect(withReplyTo.from?.address).toBe('mod@example.com');
  });

  it('takes the first Date header that parses when a broken one comes first', async () => {
    const m = await parseMessage(
      mail(
        'From: a@example.com\nDate: yesterday-ish\nDate: Tue, 2 Jan 2024 08:30:00 +0100\nSubject: s\n\nbody\n',
      ),
    );
    expect(m.date?.toISOString()).toBe('2024-01-02T07:30:00.000Z');
    expect(m.warnings).not.toContain('date_invalid');
  });
});

describe('mixed bodies', () => {
  it('shows an HTML piece and a text piece of multipart/mixed in order, in both text and html', async () => {
    const { prepareMessage } = await import('../prepare.js');
    const { defaultIngestLimits } = await import('../types.js');
    const p = await prepareMessage(
      mail(
        `${head}Subject: q\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/html\n\n<p>My question</p>\n--b\nContent-Type: text/plain\n\nsignature line <b>\n--b--\n`,
      ),
      defaultIngestLimits,
    );
    expect(p.text).toBe('My question\n\nsignature line <b>');
    expect(p.html).toContain('My question');
    expect(p.html).toContain('signature line &lt;b&gt;');
    expect(p.html!.indexOf('My question')).toBeLessThan(p.html!.indexOf('signature line'));
    expect(p.reply).toContain('My question');
  });

  it('shows a plain footer after an alternative (text and HTML versions) in both text and html, after the body', async () => {
    const { prepareMessage } = await import('../prepare.js');
    const { defaultIngestLimits } = await import('../types.js');
    const p = await prepareMessage(
      mail(
        `${head}Subject: printer\nContent-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: multipart/alternative; boundary="a"\n\n--a\nContent-Type: text/plain; charset=utf-8\n\nThe printer is offline again.\n--a\nContent-Type: text/html; charset=utf-8\n\n<p>The printer is <b>offline</b> again.</p>\n--a--\n` +
          '--m\nContent-Type: text/plain; charset=iso-8859-1\nContent-Disposition: inline\n\n--\nSupport list <help@example.com> \xb7 Caf\xe9 & co\n--m--\n',
      ),
      defaultIngestLimits,
    );
    expect(p.text).toBe(
      'The printer is offline again.\n--\nSupport list <help@example.com> · Café & co',
    );
    expect(p.html).toContain('Support list &lt;help@example.com&gt; · Café &amp; co');
    expect(p.html!.indexOf('offline')).toBeLessThan(p.html!.indexOf('Support list'));
    expect(p.attachments).toHaveLength(0);
    expect(p.reply).toBe('The printer is offline again.');
  });
});

describe('a Content-Type that is no type/subtype (RFC 2045 5.2: read as text/plain)', () => {
  it('shows the text of a message or part whose Content-Type is one word or has stray words', async () => {
    for (const ct of ['text', 'plain; charset=us-ascii', 'text/plain this line went on']) {
      const whole = await parseMessage(
        mail(`${head}Subject: s\nContent-Type: ${ct}\n\nThe scanner is broken.\n`),
      );
      expect([whole.text?.trim(), whole.attachments.length]).toEqual(['The scanner is broken.', 0]);
      const part = await parseMessage(
        mail(
          `${head}Subject: s\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: ${ct}\n\nThe scanner is broken.\n--b\nContent-Type: application/pdf; name="log.pdf"\n\n%PDF-1.4\n--b--\n`,
        ),
      );
      expect(part.text?.trim()).toBe('The scanner is broken.');
      expect(part.attachments.map((a) => a.filename)).toEqual(['log.pdf']);
    }
  });

  it('keeps a part that names a file a file, and an attached message byte for byte', async () => {
    const m = await parseMessage(
      mail(
        `${head}Subject: s\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nLogs attached.\n--b\nContent-Type: gzip; name="log.gz"\n\nGZDATA\n--b\nContent-Type: message/rfc822\n\nFrom: c@example.com\nSubject: Old\nContent-Type: text\n\nold body\n--b--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('Logs attached.');
    expect(m.attachments.map((a) => a.filename)).toEqual(['log.gz', 'Old.eml']);
    expect(m.attachments[1]!.content.toString()).toContain('Content-Type: text\r\n');
  });

  it('keeps the type and parameters of a valid Content-Type followed by stray words', async () => {
    const m = await parseMessage(
      mail(
        `${head}Subject: s\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nSee the picture.\n--b\nContent-Type: image/gif sent from my phone; name="p.gif"\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--b--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('See the picture.');
    expect(m.attachments.map((a) => [a.filename, a.declaredType])).toEqual([
      ['p.gif', 'image/gif'],
    ]);
  });
});

describe('boundary lines with text after the boundary (RFC 2046 5.1.1: the boundary at the line start is enough)', () => {
  it('splits the parts there and leaves the epilogue after a closing line out of the last part', async () => {
    const m = await parseMessage(
      mail(
        `${head}Subject: s\nContent-Type: multipart/mixed; boundary="b-1"\n\n--b-1 first part\nContent-Type: text/plain\n\nThe invoice is wrong.\n--b-1 next\nContent-Type: text/csv; name="lines.csv"\nContent-Transfer-Encoding: base64\n\nYSxiCg==\n--b-1-->\nEpilogue nobody is shown.\n`,
      ),
    );
    expect(m.text?.trim()).toBe('The invoice is wrong.');
    expect(m.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([
      ['lines.csv', 'a,b\n'],
    ]);
  });

  it('takes the longest open boundary a line starts with', async () => {
    const m = await parseMessage(
      mail(
        `${head}Subject: s\nContent-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Type: multipart/alternative; boundary="x2"\n\n--x2\nContent-Type: text/plain\n\nPlain version.\n--x2\nContent-Type: text/html\n\n<p>HTML version.</p>\n--x2--\n--x\nContent-Type: text/plain; name="n.txt"\nContent-Disposition: attachment; filename="n.txt"\n\nnote\n--x--\n`,
      ),
    );
    expect(m.text?.trim()).toBe('Plain version.');
    expect(m.html).toContain('HTML version.');
    expect(m.attachments.map((a) => a.filename)).toEqual(['n.txt']);
  });
});
