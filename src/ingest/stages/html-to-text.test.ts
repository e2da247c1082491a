import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { htmlToText } from './html-to-text.js';
import { decodeEntities } from './html-to-text-entities.js';
import { MAX_QUOTE_DEPTH } from './html-to-text-lines.js';

describe('htmlToText', () => {
  it('turns blocks and line breaks into lines and collapses source whitespace', () => {
    const html = '<div>Hello\n   <b>world</b></div><p>Second   paragraph</p>line<br>break';
    expect(htmlToText(html)).toBe('Hello world\n\nSecond paragraph\n\nline\nbreak');
  });

  it('drops script, style, head and comments but keeps the text around them', () => {
    const html =
      '<head><title>t</title><style>p{color:red}</style></head><p>a<!-- <b>hidden</b> -->b</p><script>alert("x")</script>c';
    expect(htmlToText(html)).toBe('ab\n\nc');
  });

  it('quotes blockquote content with "> " like a plain-text mail client', () => {
    const html =
      '<p>Reply</p><div>On Mon, Bob wrote:</div><blockquote><p>Question?</p><blockquote>Older</blockquote></blockquote>';
    expect(htmlToText(html)).toBe('Reply\n\nOn Mon, Bob wrote:\n\n> Question?\n>\n> > Older');
  });

  it('decodes named and numeric entities without producing markup', () => {
    expect(htmlToText('<p>a &lt;b&gt; &amp; &#233;&#x20AC;&nbsp;&hellip; &bogus;</p>')).toBe(
      'a <b> & é€ … &bogus;',
    );
    expect(decodeEntities('&#0;&#xD800;')).toBe('\uFFFD\uFFFD');
  });

  it('keeps preformatted text as written and renders list items', () => {
    expect(htmlToText('<pre>a  b\n  c</pre><ul><li>one</li><li>two</li></ul>')).toBe(
      'a  b\n  c\n\n- one\n- two',
    );
  });

  it('survives broken markup', () => {
    expect(htmlToText('<div>unclosed <b>bold <i>x')).toBe('unclosed bold x');
    expect(htmlToText('a < b and c > d')).toBe('a < b and c > d');
    expect(htmlToText('<!-- never closed')).toBe('');
  });

  it('reads a tag to the first > outside quoted values, and a < whose tag never ends as text', () => {
    expect(htmlToText('<b title="a>b" data-x=\'c>d\'>bold</b>')).toBe('bold');
    expect(htmlToText('x <a title="unclosed>y')).toBe('x <a title="unclosed>y');
    // Only a quote after '=' opens a value; elsewhere it is a character of a name or unquoted value.
    expect(htmlToText('x <a "unclosed>y')).toBe('x y');
    expect(
      htmlToText('<head><meta 1"=""></head><body>hi <a href="b" c"="">x</a> there</body>'),
    ).toBe('hi x there');
    expect(htmlToText("<p>a <b x=y'z>b</b> c</p>")).toBe('a b c');
    expect(htmlToText('<a<a<a')).toBe('<a<a<a');
    expect(htmlToText('<a "x"<b>y')).toBe('y');
  });

  it('reads tags exactly as this rule does', () => {
    // The specification of what counts as a tag: it runs to the first '>' outside a quoted value,
    // and only a quote after '=' (white space between allowed) opens a value.
    const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:=\s*"[^"]*"|=\s*'[^']*'|=(?!\s*["'])|[^>=])*)>/y;
    const stripTags = (html: string) => {
      let out = '';
      for (let i = 0; i < html.length;) {
        TAG.lastIndex = i;
        if (html[i] === '<' && TAG.exec(html) !== null) i = TAG.lastIndex;
        else out += html[i++];
      }
      return out.replace(/\s+/g, ' ').trim();
    };
    // Only inline or unknown tag names (b, x, bx...), so tags add no line breaks.
    const piece = fc.constantFrom(
      '<',
      '>',
      '"',
      "'",
      '/',
      'b',
      'x',
      ' ',
      '<b>',
      '</b>',
      '<b "',
      "<x '",
      '=',
      '<b x="',
      "<x y= '",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const html = pieces.join('');
        expect(htmlToText(html)).toBe(stripTags(html));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps every word of a long line of inline markup', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `w${i}`);
    expect(htmlToText(words.map((w) => `<b>${w}</b> <i></i>`).join(''))).toBe(words.join(' '));
  });

  it('trims trailing blanks of preformatted lines', () => {
    expect(htmlToText(`<pre>a${' \t'.repeat(500)}\nb  </pre>`)).toBe('a\nb');
    expect(htmlToText('<blockquote><pre>a\n   \nb</pre></blockquote>')).toBe('> a\n>\n> b');
  });

  it('quotes at most MAX_QUOTE_DEPTH levels', () => {
    const deep = '<blockquote>'.repeat(MAX_QUOTE_DEPTH + 40);
    expect(htmlToText(`${deep}x<br>y`)).toBe(
      `${'> '.repeat(MAX_QUOTE_DEPTH)}x\n${'> '.repeat(MAX_QUOTE_DEPTH)}y`,
    );
  });
});
