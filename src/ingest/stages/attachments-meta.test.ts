import { describe, expect, it } from 'vitest';

import { describeAttachment, sanitizeFilename } from './attachments-meta.js';
import { sniffContentType } from './attachments-sniff.js';

const att = (filename: string | null, declaredType: string, content: Buffer) =>
  describeAttachment({ filename, declaredType, contentId: null, inline: false, content });

describe('sanitizeFilename', () => {
  it('drops path components so a name can never point outside its folder', () => {
    expect(sanitizeFilename('../../../../srv/app/.env')).toMatchObject({
      name: '.env',
      flags: expect.arrayContaining(['filename_path']),
    });
    expect(sanitizeFilename('..\\..\\win.ini').name).toBe('win.ini');
    expect(sanitizeFilename('../..').name).toBe('attachment');
  });

  it('removes NUL, control and bidi characters and flags right-to-left overrides', () => {
    expect(sanitizeFilename('a\u0000b\u0007.pdf').name).toBe('ab.pdf');
    const r = sanitizeFilename('invoice\u202Efdp.exe');
    expect(r.name).toBe('invoicefdp.exe');
    expect(r.flags).toContain('filename_rtlo');
  });

  it('defuses Windows reserved device names', () => {
    expect(sanitizeFilename('CON').name).toBe('_CON');
    expect(sanitizeFilename('lpt1.txt').name).toBe('_lpt1.txt');
    expect(sanitizeFilename('console.txt').name).toBe('console.txt');
  });

  it('caps the name at 255 UTF-8 bytes on a character boundary and keeps the extension', () => {
    const long = sanitizeFilename(`${'x'.repeat(10_000)}.pdf`).name;
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    expect(long.endsWith('.pdf')).toBe(true);
    const wide = sanitizeFilename(`${'ü'.repeat(200)}.txt`).name;
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(255);
    expect(wide).not.toContain('\uFFFD');
    expect(wide.endsWith('.txt')).toBe(true);
  });

  it("keeps '?', '*' and '|' a person put in a name, and keeps markup characters out", () => {
    expect(sanitizeFilename('Was ist das?.pdf')).toEqual({ name: 'Was ist das?.pdf', flags: [] });
    expect(sanitizeFilename('Q&A | notes*.txt').name).toBe('Q&A | notes*.txt');
    expect(sanitizeFilename('<b>"x".txt').name).toBe('_b__x_.txt');
  });

  it("falls back to 'attachment' for empty names", () => {
    expect(sanitizeFilename('').name).toBe('attachment');
    expect(sanitizeFilename(null).name).toBe('attachment');
    expect(sanitizeFilename(' \u200B ').name).toBe('attachment');
  });
});

describe('sniffContentType', () => {
  const cases: [string, Buffer][] = [
    ['application/pdf', Buffer.from('%PDF-1.7\n...')],
    ['image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])],
    ['image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])],
    ['image/gif', Buffer.from('GIF89a....')],
    [
      'application/zip',
      Buffer.concat([
        Buffer.from([0x50, 0x4b, 0x03, 0x04]),
        Buffer.alloc(26),
        Buffer.from('notes.txt'),
      ]),
    ],
    [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      Buffer.concat([
        Buffer.from([0x50, 0x4b, 0x03, 0x04]),
        Buffer.alloc(26),
        Buffer.from('[Content_Types].xml....word/document.xml'),
      ]),
    ],
    ['application/gzip', Buffer.from([0x1f, 0x8b, 0x08, 0])],
    ['application/x-msdownload', Buffer.from('MZ\x90\x00\x03')],
    ['text/html', Buffer.from('\uFEFF  <!DOCTYPE html><html><body>hi</body></html>')],
    [
      'image/svg+xml',
      Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
    ],
    ['application/xml', Buffer.from('<?xml version="1.0"?><invoice/>')],
    ['application/octet-stream', Buffer.from([0, 1, 2, 3, 250, 251])],
  ];
  it.each(cases)('recognises %s from the bytes', (type, bytes) => {
    expect(sniffContentType(bytes)).toBe(type);
  });
});

describe('describeAttachment', () => {
  it('flags executables hidden behind a double extension or an RTLO name', () => {
    expect(att('report.pdf.exe', 'application/pdf', Buffer.from('MZ\x90\x00')).flags).toEqual(
      expect.arrayContaining(['dangerous_type', 'double_extension']),
    );
    const rtlo = att('invoice\u202Efdp.exe', 'application/pdf', Buffer.from('MZ\x90\x00'));
    expect(rtlo.flags).toEqual(expect.arrayContaining(['dangerous_type', 'filename_rtlo']));
    expect(rtlo.filename).not.toContain('\u202E');
  });

  it('flags SVG/HTML only when they carry script', () => {
    const evil = att(
      'logo.svg',
      'image/svg+xml',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    );
    expect(evil.flags).toEqual(expect.arrayContaining(['active_content', 'dangerous_type']));
    const plain = att(
      'logo.svg',
      'image/svg+xml',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'),
    );
    expect(plain.flags).not.toContain('dangerous_type');
  });

  it('never trusts the declared type: an .png that is an executable is flagged', () => {
    const a = att('cat.png', 'image/png', Buffer.from('MZ\x90\x00\x03\x00'));
    expect(a.sniffedType).toBe('application/x-msdownload');
    expect(a.declaredType).toBe('image/png');
    expect(a.flags).toEqual(expect.arrayContaining(['dangerous_type', 'type_mismatch']));
  });

  it('leaves an ordinary JPEG alone and hashes the bytes', () => {
    const a = att('photo.jpg', 'image/jpeg; name=photo.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
    expect(a.flags).toEqual([]);
    expect(a.declaredType).toBe('image/jpeg');
    expect(a.size).toBe(4);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
