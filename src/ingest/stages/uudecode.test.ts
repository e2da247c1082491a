import { describe, expect, it } from 'vitest';

import { parseMessage } from './parse.js';
import { isUuencode, splitUuencodedFiles, uudecode } from './uudecode.js';

// Built by hand from the uuencode definition (length char, then 4 chars per 3 bytes, offset 32).
function uuencode(data: Buffer, zero = '`'): string {
  const lines: string[] = [];
  for (let at = 0; at < data.length; at += 45) {
    const chunk = data.subarray(at, at + 45);
    let line = String.fromCharCode(32 + chunk.length);
    for (let i = 0; i < chunk.length; i += 3) {
      const [a = 0, b = 0, c = 0] = [chunk[i], chunk[i + 1], chunk[i + 2]];
      for (const v of [a >> 2, ((a & 3) << 4) | (b >> 4), ((b & 15) << 2) | (c >> 6), c & 63])
        line += v === 0 ? zero : String.fromCharCode(32 + v);
    }
    lines.push(line);
  }
  return [...lines, zero].join('\r\n');
}

describe('uudecode', () => {
  const data = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37) % 256));

  it('decodes bare uuencoded lines, as Eudora sends them', () => {
    expect(uudecode(Buffer.from(uuencode(data)))).toEqual(data);
  });

  it('skips the begin/end lines', () => {
    const text = `begin 644 file.bin\r\n${uuencode(Buffer.from('Hello Inlet'))}\r\nend\r\n`;
    expect(uudecode(Buffer.from(text))?.toString()).toBe('Hello Inlet');
  });

  it('gives null for text that is not uuencoded', () => {
    expect(uudecode(Buffer.from('just some words\r\n'))).toBeNull();
  });

  it('recognises the transfer-encoding names', () => {
    expect(['x-uuencode', 'uuencode', 'X-UUE', 'x-uue'].every(isUuencode)).toBe(true);
    expect(isUuencode('base64')).toBe(false);
  });
});

describe('files uuencoded into a plain body', () => {
  const picture = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 11) % 256));
  // Pre-MIME mail (Outlook 2000's uuencode option): no Content-Type, the file inside the text.
  const mail = (encoded: string) =>
    Buffer.from(
      `From: a@example.com\r\nTo: s@example.com\r\nSubject: photo\r\nMessage-ID: <uu.1@example.com>\r\n\r\nHere is the photo of the broken screen.\r\n\r\nbegin 644 screen.png\r\n${encoded}\r\nend\r\n\r\nThanks, Jane\r\n`,
    );

  it('become attachments and leave the text', async () => {
    const msg = await parseMessage(mail(uuencode(picture)));
    expect(msg.attachments.map((a) => [a.filename, a.size])).toEqual([['screen.png', 300]]);
    expect(msg.attachments[0]!.content).toEqual(picture);
    expect(msg.text).not.toContain('begin 644');
    expect(msg.text).toContain('Here is the photo of the broken screen.');
    expect(msg.text).toContain('Thanks, Jane');
  });

  it('decode when spaces stand for zero bits, as Netscape writes them', async () => {
    const zeros = Buffer.concat([Buffer.alloc(90), picture]);
    const msg = await parseMessage(mail(uuencode(zeros, ' ')));
    expect(msg.attachments[0]?.content).toEqual(zeros);
  });

  it('stay text when the block has no end line or holds prose', () => {
    expect(splitUuencodedFiles('begin 644 notes.txt\nM86)C\n')).toBeNull();
    expect(
      splitUuencodedFiles('begin 644 the meeting at noon\nplease bring the notes\nend\n'),
    ).toBeNull();
  });
});
