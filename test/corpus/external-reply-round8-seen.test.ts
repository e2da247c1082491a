// The round-8 unseen checks: a case whose mail an earlier set holds as a file, or writes inline in
// its tests, would score mail Inlet was already measured (or tuned) on.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { unseen, writtenInline } from './external-reply-round8-seen.js';

const root = mkdtempSync(path.join(tmpdir(), 'round8-seen-'));
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
};
const filed = 'The invoice for March still shows the old address.\n\n> Could you check it?\n';
const tripleQuoted =
  'Our router restarts every night at two o’clock sharp.\nAny idea why that happens?';
write('earlier+set/fixtures/mail.txt', filed);
write('earlier+set/tests/test_quotes.py', `def test_one():\n    body = """${tripleQuoted}"""\n`);
write(
  'earlier+set/test/parser.test.js',
  "const body = 'The delivery van left the parcel at the wrong door again.\\n> When will it come?';\n",
);
// A round-8 folder's own files never make its mail seen.
write(
  'getfernand+unquotemail/tests/samples/own.txt',
  'A mail only the round-8 set itself holds, line one.',
);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('round-8 unseen checks', () => {
  it('know mail an earlier set holds as a file, whatever its line ends', () => {
    expect(unseen(root, filed.replace(/\n/g, '\r\n'))).toBe(false);
    expect(unseen(root, 'A mail only the round-8 set itself holds, line one.')).toBe(true);
  });

  it('know mail an earlier set writes inline, in a literal block or with escaped line breaks', () => {
    expect(writtenInline(root, `${tripleQuoted}\n`)).toBe(true);
    expect(
      writtenInline(
        root,
        'The delivery van left the parcel at the wrong door again.\n> When will it come?',
      ),
    ).toBe(true);
    expect(writtenInline(root, 'The delivery van left the parcel at the right door today.')).toBe(
      false,
    );
    expect(writtenInline(root, 'Short.\nNo long lines.')).toBe(false);
  });
});
