// The round-8 scorers read mail and expectations out of other projects' test sources (JavaScript
// and C++); a reader that misread data would score mail nobody wrote, so what it reads is checked.
import { describe, expect, it } from 'vitest';

import { cppStrings } from './external-mime-round8-mailio.js';
import { readJs } from './js-data.js';

describe('readJs', () => {
  it('reads strings, templates, concatenation, repeat, join and Buffer calls', () => {
    const src = [
      `'a\\r\\n' + "b" + \`c\${'-'.repeat(3)}d\``,
      `['x', 'y'].join('\\r\\n')`,
      `Buffer.concat([Buffer.from('Subject: '), Buffer.from('SGk=', 'base64')])`,
    ];
    expect(readJs(src[0]!, 0)).toBe('a\r\nbc---d');
    expect(readJs(src[1]!, 0)).toBe('x\r\ny');
    expect((readJs(src[2]!, 0) as Buffer).toString()).toBe('Subject: Hi');
  });

  it('uses names bound earlier and gives up on anything that is not data', () => {
    const env = new Map([['boundary', 'b1']]);
    expect(readJs('`--${boundary}--`;', 0, env)).toBe('--b1--');
    expect(readJs('`--${other}--`;', 0, env)).toBeNull();
    expect(
      readJs('Buffer.from(text).toString("base64");', 0, new Map([['text', 'AAAA']])),
    ).toBeNull();
    expect(readJs('makeMail()', 0)).toBeNull();
  });

  it('keeps a template literal line end as LF whatever the file has', () => {
    expect(readJs('`a\r\nb`', 0)).toBe('a\nb');
  });
});

describe('cppStrings', () => {
  it('joins adjacent literals and resolves escapes to bytes', () => {
    const r = cppStrings('"Subject: x\\r\\n"\n    "\\xe9t\\u00e9" u8"\\U0001F600";', 0);
    expect(r?.bytes.toString('latin1').slice(0, 13)).toBe('Subject: x\r\n\xe9');
    expect(r?.bytes.subarray(13).toString('utf8')).toBe('té😀');
    expect('"a" "b";'.slice(cppStrings('"a" "b";', 0)!.end)).toBe(';');
  });

  it('keeps UTF-8 written in the source as UTF-8', () => {
    expect(cppStrings('"Здраво"', 0)?.bytes.toString('utf8')).toBe('Здраво');
  });
});
