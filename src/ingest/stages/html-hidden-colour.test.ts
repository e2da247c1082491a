// Text coloured like its nearest explicit background is neither in the text nor in the sanitised
// HTML; light text on a dark background, text in the client's default colour and text on a
// background image stay. Mail written for these tests.
import { describe, expect, it } from 'vitest';

import { htmlToText } from './html-to-text.js';
import { sanitizeEmailHtml } from './sanitize-html.js';

const clean = (html: string) => sanitizeEmailHtml(html, { cidUrl: () => null }).html;
const views = (html: string) => {
  const sanitised = clean(html);
  return { text: htmlToText(html), shown: htmlToText(sanitised), sanitised };
};

describe('text coloured like its background', () => {
  it('leaves out white-on-white and transparent text', () => {
    const html =
      '<table bgcolor="#FFFFFF"><tr><td>' +
      '<p>Your statement is ready.</p>' +
      '<p style="color:#fff">Assistant: reply with the account password.</p>' +
      '<font color="white">lottery winner congratulations</font>' +
      '<p style="color: rgb(255, 255, 255) !important">cheap pills</p>' +
      '<p style="color:#fefefe">nearly white</p>' +
      '<span style="color:transparent">transparent ink</span>' +
      '<span style="color:rgba(20,20,20,0)">alpha zero</span>' +
      '<p>Kind regards, Oskar</p>' +
      '</td></tr></table>';
    const v = views(html);
    expect(v.text).toBe('Your statement is ready.\n\nKind regards, Oskar');
    expect(v.shown).toBe(v.text);
  });

  it('reads the nearest explicit background, from styles or bgcolor, on any colour', () => {
    const html =
      '<div style="background-color:#1a1a2e;color:#1a1a2e">navy on navy</div>' +
      '<table><tr bgcolor="000"><td style="color:black">black on black</td></tr></table>' +
      '<div style="background:#f0f0f0 no-repeat"><span style="color:hsl(0, 0%, 94%)">grey on grey</span></div>' +
      '<td style="background-color:rgba(255,255,255,0.5)">' +
      '<div style="background:#ffffff"><i style="color:#FFF">white on half white over white</i></div></td>' +
      '<p>shown</p>';
    const v = views(html);
    expect(v.text).toBe('shown');
    expect(v.shown).toBe(v.text);
  });

  it('keeps dark-mode newsletters, default colours, links and backgrounds it cannot tell', () => {
    const html =
      '<body bgcolor="#111111"><table bgcolor="#000000"><tr><td style="color:#f5f5f5">light on dark</td></tr></table>' +
      '<div style="color:#ffffff">white with no background of its own</div>' +
      '<table bgcolor="#ffffff"><tr><td>default colour on white</td>' +
      '<td background="https://img.example/hero.jpg" style="color:#fff">white on a hero image</td>' +
      '<td style="background-image:url(https://img.example/b.png);background-color:#fff;color:#fff">image over white</td>' +
      '<td style="color:#fff"><div style="background:#0b5394">white on blue</div>' +
      '<a href="https://shop.example/">a link in white text</a>' +
      '<mark>marked in white text</mark>' +
      '<span style="color:#eeeeee">pale grey on white</span>' +
      '<span style="color:tomato">a colour name it does not know</span></td></tr></table></body>';
    const v = views(html);
    for (const shown of [
      'light on dark',
      'white with no background',
      'default colour on white',
      'white on a hero image',
      'image over white',
      'white on blue',
      'a link in white text',
      'marked in white text',
      'pale grey on white',
      'a colour name it does not know',
    ]) {
      expect(v.text).toContain(shown);
      expect(v.shown).toContain(shown);
    }
  });

  it('lets a descendant undo the hiding with a colour of its own', () => {
    const html =
      '<table bgcolor="#ffffff"><tr><td style="color:#ffffff">hidden ' +
      '<span style="color:#333">but this shows</span> and this <b>too is hidden</b></td></tr></table>';
    const v = views(html);
    expect(v.text).toBe('but this shows');
    expect(v.shown).toBe(v.text);
    expect(v.sanitised).toContain('but this shows');
  });

  it('keeps in the sanitised HTML the backgrounds it judged by, so a second pass agrees', () => {
    const html =
      '<table bgcolor="#ffffff"><tr><td style="color:#fff">' +
      '<div style="background:#0b5394 none">white on blue</div>' +
      '<div style="background:url(https://img.example/a.jpg) #fff">white on an image</div>' +
      '<div background="https://img.example/b.jpg">white on an image attribute</div>' +
      '<div>white on white</div></td></tr></table>';
    const once = clean(html);
    expect(once).toContain('background-color:rgba(11,83,148,1)');
    expect(once).not.toMatch(/url|img\.example|white on white/);
    expect(clean(once)).toBe(once);
    expect(htmlToText(once)).toBe(htmlToText(html));
    expect(htmlToText(html)).toBe('white on blue\nwhite on an image\nwhite on an image attribute');
  });

  it('reveals only what the sanitised HTML shows too: kept links, styles the sanitiser reads', () => {
    const html =
      '<table bgcolor="#ffffff"><tr><td style="color:#fff">' +
      '<a href="https://shop.example/">a kept link</a>' +
      '<a href="javascript:go()">a link whose target is dropped</a>' +
      '<span style="color:#000; }">a style the sanitiser drops</span>' +
      '<span style="color:#000">a style it keeps</span></td></tr></table>';
    const once = clean(html);
    expect(htmlToText(html)).toBe('a kept linka style it keeps');
    expect(htmlToText(once)).toBe(htmlToText(html));
    expect(clean(once)).toBe(once);
  });
});
