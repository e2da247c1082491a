// The string expressions the round-8 scorers read from JavaScript and Java tests: a misread
// literal would score Inlet against text no project expects.
import { describe, expect, it } from 'vitest';

import { JsReader } from './js-literal.js';

describe('JsReader', () => {
  it('reads quoted literals with their escapes, joined by +', () => {
    const r = new JsReader(String.raw`"Hi\n" + 'it\'s \x41\u00e9' + "tab\there" // note`);
    expect(r.expr()).toBe("Hi\nit's A\u00e9tab\there");
  });

  it('joins a helper call with its separator and reads names bound before', () => {
    const names = new Map([['greeting', 'Hello']]);
    const r = new JsReader(
      `j(greeting, '> quoted', /* c */ '',) + '!'`,
      0,
      names,
      new Map([['j', '\n']]),
    );
    expect(r.expr()).toBe('Hello\n> quoted\n!');
  });

  it('reads a method call on a string, or an unknown name, as nothing', () => {
    const names = new Map([['body', 'text']]);
    expect(new JsReader(`body.replace('a', 'b')`, 0, names).expr()).toBeNull();
    expect(new JsReader(`other + 'x'`, 0, names).expr()).toBeNull();
    expect(new JsReader(`['content', body, 'q1', 'x']`, 1, names).items(']')).toEqual([
      'content',
      'text',
      'q1',
      'x',
    ]);
  });
});
