// The round-9 scorers read mail and expectations out of other projects' Python and Rust sources; a
// reader that misread data would score mail nobody wrote, so what they read is checked here on
// snippets written for this test.
import { describe, expect, it } from 'vitest';

import { csirtgChecks } from './external-mime-round9-csirtg.js';
import { imapToolsData } from './external-mime-round9-imaptools.js';
import { rustBytes } from './external-mime-round9-rust.js';

describe('imapToolsData', () => {
  it('reads the DATA dict with calls, tuples and byte strings in it', () => {
    const src = [
      'import datetime',
      'DATA = dict(',
      "    subject='Grüße',",
      "    to=('a@example.com', 'b@example.com'),",
      '    date=datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(0))),',
      "    text='line one\\r\\n' 'line two',",
      '    attachments=[',
      "        dict(filename='x.bin', payload=b'\\x00\\xffAB filename=fake'),",
      '    ],',
      "    from_values=EmailAddress(name='', email='a@example.com'),",
      ')',
    ].join('\n');
    const data = imapToolsData(src)!;
    expect(data.subject).toBe('Grüße');
    expect(data.to).toEqual(['a@example.com', 'b@example.com']);
    expect(data.text).toBe('line one\r\nline two');
    const [file] = data.attachments as { kwargs: Record<string, string> }[];
    expect(file!.kwargs.filename).toBe('x.bin');
    expect(Buffer.from(file!.kwargs.payload!, 'latin1')).toEqual(
      Buffer.from([0, 0xff, 0x41, 0x42, ...Buffer.from(' filename=fake')]),
    );
  });

  it('gives up on a file without a DATA dict', () => {
    expect(imapToolsData('x = 1\n')).toBeNull();
  });
});

describe('csirtgChecks', () => {
  it('reads equality and startswith asserts with their literal, and skips the rest', () => {
    const src = [
      "    assert results[0]['headers']['to'][0] == 'Ann <ann@example.com>'",
      "    assert results[1]['mail_parts'][0]['decoded_body'].startswith(",
      "        'first line\\n')",
      "    assert 'http://example.com/' in results[0]['urls']",
    ].join('\n');
    expect(csirtgChecks(src)).toEqual([
      { result: 0, target: '[headers][to][N]', op: '==', want: 'Ann <ann@example.com>' },
      {
        result: 1,
        target: '[mail_parts][N][decoded_body]',
        op: 'startswith',
        want: 'first line\n',
      },
    ]);
  });
});

describe('rustBytes', () => {
  it('reads byte strings, concat! of strings, escapes and line continuations', () => {
    const src = [
      'b"A\\r\\n\\x41\\u{2603}"',
      'concat!(\n  "one\\n",\n  "two"\n).as_bytes(),',
      '"long \\\n      line"',
      'r#"raw "quoted" \\n"#',
    ];
    expect(rustBytes(src[0]!, 0)!.bytes.toString('utf8')).toBe('A\r\nA☃');
    expect(rustBytes(src[1]!, 0)!.bytes.toString()).toBe('one\ntwo');
    expect(rustBytes(src[2]!, 0)!.bytes.toString()).toBe('long line');
    expect(rustBytes(src[3]!, 0)!.bytes.toString()).toBe('raw "quoted" \\n');
  });

  it('gives up on anything that is not literal data', () => {
    expect(rustBytes('&mail', 0)).toBeNull();
    expect(rustBytes('concat!("a", x)', 0)).toBeNull();
  });
});
