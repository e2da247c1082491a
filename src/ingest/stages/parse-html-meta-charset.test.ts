// An HTML part whose MIME header names no charset but whose <meta> does: a browser reads it in the
// meta's charset (HTML encoding sniffing). The byte-frequency guess alone took a few Czech letters
// for Chinese ("řšřš" became "纗纗").
import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';

const head =
  'From: a@example.com\r\nTo: s@example.com\r\nSubject: s\r\nMessage-ID: <m1@example.com>\r\n';
const mail = (contentType: string, html: Buffer) =>
  Buffer.concat([Buffer.from(`${head}Content-Type: ${contentType}\r\n\r\n`), html]);

// ISO-8859-2 bytes of the Czech letters used below.
const LATIN2: Record<string, number> = { ý: 0xfd, á: 0xe1, ř: 0xf8, š: 0xb9, ú: 0xfa, í: 0xed };
const latin2 = (text: string) => Buffer.from([...text].map((c) => LATIN2[c] ?? c.charCodeAt(0)));

const page = (meta: string, body: string) =>
  Buffer.concat([
    Buffer.from(`<html><head>${meta}</head><body><p>`),
    latin2(body),
    Buffer.from('</p></body></html>\r\n'),
  ]);

describe('an HTML part labelled only by its <meta>', () => {
  it('is read in the charset of <meta charset>', async () => {
    const m = await parseMessage(mail('text/html', page('<meta charset="ISO-8859-2">', 'řšřš')));
    expect(m.html).toContain('<p>řšřš</p>');
  });

  it('is read in the charset of an http-equiv Content-Type, also under a us-ascii label', async () => {
    const meta = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">';
    for (const type of ['text/html', 'text/html; charset=us-ascii']) {
      const m = await parseMessage(mail(type, page(meta, 'Dobrý den, tiskárna neřeší úlohy')));
      expect(m.html).toContain('Dobrý den, tiskárna neřeší úlohy');
    }
  });

  it('does not take a meta whose charset cannot read the bytes (UTF-8 over Latin-1)', async () => {
    const m = await parseMessage(
      mail(
        'text/html',
        Buffer.concat([
          Buffer.from('<html><head><meta charset="utf-8"></head><body>'),
          Buffer.from('Caf\xe9 au lait, d\xe9j\xe0 pay\xe9', 'latin1'),
          Buffer.from('</body></html>'),
        ]),
      ),
    );
    expect(m.html).toContain('Café au lait, déjà payé');
  });

  it('keeps the charset the MIME header names, and UTF-8 bytes as UTF-8', async () => {
    const labelled = await parseMessage(
      mail('text/html; charset=windows-1252', page('<meta charset="iso-8859-2">', 'Café')),
    );
    expect(labelled.html).toContain('Café');
    const utf8 = await parseMessage(
      mail(
        'text/html',
        Buffer.from('<html><head><meta charset="iso-8859-1"></head><body>Grüße</body></html>'),
      ),
    );
    expect(utf8.html).toContain('Grüße');
  });
});

// An HTML document some mailers send under text/plain declares its charset in its <meta> as well;
// the label only says how to show it, not how its bytes are written.
describe('an HTML document labelled text/plain with no charset', () => {
  it('is read in the charset its <meta> declares, and stays text', async () => {
    const m = await parseMessage(
      mail('text/plain', page('<meta charset="ISO-8859-2">', 'Dobrý den, řšřš')),
    );
    expect(m.text).toContain('Dobrý den, řšřš');
    expect(m.text).toContain('<p>');
    expect(m.html).toBeNull();
  });

  it('reads a Python-style label such as latin_1 as Latin-1', async () => {
    const body = Buffer.concat([
      Buffer.from('<meta charset="latin_1"/>'),
      Buffer.from('\xd5\xc4\xd6\xdc', 'latin1'),
    ]);
    expect((await parseMessage(mail('text/plain', body))).text).toContain('ÕÄÖÜ');
  });

  it('leaves plain text that mentions a <meta> further in to the guess', async () => {
    const body = Buffer.concat([
      Buffer.from('Our page sets <meta charset="ISO-8859-2"> and this note is in Latin-1: '),
      Buffer.from('Caf\xe9 cr\xe8me br\xfbl\xe9e, d\xe9j\xe0 pay\xe9', 'latin1'),
    ]);
    expect((await parseMessage(mail('text/plain', body))).text).toContain(
      'Café crème brûlée, déjà payé',
    );
  });
});
