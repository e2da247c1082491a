// The stub of a message never downloaded is made of whatever header block the provider gave, which
// may be hostile or missing: only header lines reach it, the listing fills what is missing, and a
// value from the listing can never add a header of its own.
import { describe, expect, it } from 'vitest';

import { unfetchedStubRaw } from './oversize-stub.js';

const listed = {
  rfcMessageId: '<a1@client.example>',
  internalDate: new Date('2026-03-02T10:00:00Z'),
};
const lines = (raw: Buffer) => raw.toString('latin1').split('\r\n');

describe('unfetchedStubRaw', () => {
  it('keeps the header lines, drops what describes the body, and ends in an empty text body', () => {
    const header = Buffer.from(
      'From: Ana <ana@client.example>\r\nSubject: Scans\r\n  part two\r\nMessage-ID: <m9@client.example>\r\n' +
        'Content-Type: multipart/mixed;\r\n boundary="b"\r\nDate: Mon, 2 Mar 2026 09:00:00 +0100\r\n\r\n',
    );
    expect(lines(unfetchedStubRaw(header, listed))).toEqual([
      'From: Ana <ana@client.example>',
      'Subject: Scans',
      '  part two',
      'Message-ID: <m9@client.example>',
      'Date: Mon, 2 Mar 2026 09:00:00 +0100',
      'Content-Type: text/plain; charset=utf-8',
      '',
      '',
    ]);
  });

  it('leaves out lines that are no header, with what folds under them', () => {
    const header = Buffer.from('* OK banner\r\n continued\r\nFrom: ana@client.example\r\n\r\n');
    expect(lines(unfetchedStubRaw(header, listed)).slice(0, 3)).toEqual([
      'From: ana@client.example',
      'Message-ID: <a1@client.example>',
      'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    ]);
  });

  it('without a header block, holds what the listing knew', () => {
    expect(lines(unfetchedStubRaw(null, listed)).slice(0, 2)).toEqual([
      'Message-ID: <a1@client.example>',
      'Date: Mon, 02 Mar 2026 10:00:00 +0000',
    ]);
    expect(lines(unfetchedStubRaw(null, { rfcMessageId: null, internalDate: null }))[0]).toBe(
      'Content-Type: text/plain; charset=utf-8',
    );
  });

  it('writes no listed Message-ID that would break the line', () => {
    const raw = unfetchedStubRaw(null, {
      rfcMessageId: '<x@y>\r\nBcc: victim@example.test',
      internalDate: null,
    });
    expect(raw.toString('latin1')).not.toMatch(/Bcc|Message-ID/);
  });

  it('cuts an endless header block at a line end within its cap', () => {
    const header = Buffer.from(`Subject: a\r\n${' b\r\n'.repeat(100_000)}`);
    const raw = unfetchedStubRaw(header, listed);
    expect(raw.length).toBeLessThan(64 * 1024 + 200);
    expect(lines(raw).every((l) => l === '' || /^( b|Subject: a|[A-Z][\w-]+: )/.test(l))).toBe(
      true,
    );
  });
});
