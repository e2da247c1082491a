import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from './html-to-text.js';

describe('htmlToText', () => {
  it('turns blocks and line breaks into lines and collapses source whitespace', () => {
    const html = '<div>Hello\n   <b>world</b></div><p>Second   paragraph</p>line<br>break';
    expect(htmlToText(html)).toBe('Hello world\n\nSecond paragraph\n\nline\nbreak');
  });

  it('drops script, style, head and comments but keeps the text around them', () => {
    const html = '<head><title>t</title><style>p{color:red}</style></head><p>a<!-- <b>hidden</b> -->b</p><script>alert("x")</script>c';
    expect(htmlToText(html)).toBe('ab\n\nc');
  });

  it('quotes blockquote content with "> " like a plain-text mail client', () => {
    const html = '<p>Reply</p><div>On Mon, Bob wrote:</div><blockquote><p>Question?</p><blockquote>Older</blockquote></blockquote>';
    expect(htmlToText(html)).toBe('Reply\n\nOn Mon, Bob wrote:\n\n> Question?\n>\n> > Older');
  });

  it('decodes named and numeric entities without producing markup', () => {
    expect(htmlToText('<p>a &lt;b&gt; &amp; &#233;&#x20AC;&nbsp;&hellip; &bogus;</p>')).toBe('a <b> & é€ … &bogus;');
    expect(decodeEntities('&#0;&#xD800;')).toBe('\uFFFD\uFFFD');
  });

  it('keeps preformatted text as written and renders list items', () => {
    expect(htmlToText('<pre>a  b\n  c</pre><ul><li>one</li><li>two</li></ul>')).toBe('a  b\n  c\n\n- one\n- two');
  });

  it('survives broken markup', () => {
    expect(htmlToText('<div>unclosed <b>bold <i>x')).toBe('unclosed bold x');
    expect(htmlToText('a < b and c > d')).toBe('a < b and c > d');
    expect(htmlToText('<!-- never closed')).toBe('');
  });
});
