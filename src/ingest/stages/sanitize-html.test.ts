import { describe, expect, it } from 'vitest';

import { MAX_HTML_DEPTH } from './html-depth.js';
import { MAX_HTML_CHARS, sanitizeEmailHtml } from './sanitize-html.js';

const cidUrl = (cid: string): string | null =>
  cid === 'logo@mail' ? '/v1/attachments/a1/content' : null;
const clean = (html: string, loadRemoteImages = false) =>
  sanitizeEmailHtml(html, { cidUrl, loadRemoteImages });

describe('sanitizeEmailHtml', () => {
  it('keeps ordinary formatting', () => {
    const html =
      '<p><b>Bold</b> <i>it</i></p><table><tr><td colspan="2">cell</td></tr></table><ul><li>x</li></ul>';
    expect(clean(html).html).toBe(html);
  });

  it('blocks remote images by default and keeps their URL aside', () => {
    const r = clean('<p>Hi</p><img src="https://tracker.example/open.gif" width="1" alt="">');
    expect(r.remoteImagesBlocked).toBe(1);
    expect(r.html).toContain('data-remote-src="https://tracker.example/open.gif"');
    expect(r.html).not.toMatch(/\ssrc=/);
  });

  it('loads remote images when asked, also from previously blocked output', () => {
    const blocked = clean('<img src="https://cdn.example/a.png">').html;
    const r = clean(blocked, true);
    expect(r).toEqual({
      html: '<img src="https://cdn.example/a.png" />',
      remoteImagesBlocked: 0,
      refused: null,
    });
  });

  it('points cid: images at the attachment endpoint and drops unknown ones', () => {
    const r = clean('<img src="cid:logo@mail" alt="Logo"><img src="cid:missing@mail" alt="gone">');
    expect(r.html).toBe('<img alt="Logo" data-cid="logo@mail" src="/v1/attachments/a1/content" />');
  });

  it('keeps inline raster data: images but not other data: URLs', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    expect(clean(`<img src="${png}">`).html).toBe(`<img src="${png}" />`);
    expect(
      clean('<img src="data:image/svg+xml;base64,PHN2Zz4="><a href="data:text/html,x">y</a>').html,
    ).not.toContain('data:');
  });

  it('opens links in a new tab without referrer and drops script URLs', () => {
    const r = clean(
      '<a href="https://example.com/x">ok</a><a href="javascript:alert(1)">bad</a><a href="/relative">rel</a>',
    );
    expect(r.html).toBe(
      '<a href="https://example.com/x" rel="noopener noreferrer nofollow" target="_blank">ok</a>' +
        '<a rel="noopener noreferrer nofollow" target="_blank">bad</a><a rel="noopener noreferrer nofollow" target="_blank">rel</a>',
    );
  });

  it('keeps safe CSS properties and drops anything that can fetch or run', () => {
    const r = clean(
      '<div style="color: #333; font-family: \'Segoe UI\', sans-serif; background-image: url(https://x/y); width: expression(alert(1)); behavior: url(x.htc); background-color: rgb(1, 2, 3)">t</div>',
    );
    expect(r.html).toBe(
      '<div style="color:#333;font-family:\'Segoe UI\', sans-serif;background-color:rgb(1, 2, 3)" data-inlet-backdrop="1">t</div>',
    );
  });

  it('removes scripts, styles, forms and frames with their content', () => {
    const r = clean(
      '<style>p{}</style><script>x()</script><form><input value="v"><button>Go</button></form><iframe src="https://x"></iframe><p>kept</p>',
    );
    expect(r.html).toBe('<p>kept</p>');
  });

  it('drops images with nothing to show and leaves what surrounds them alone', () => {
    const r = clean(
      '<p>a<img src="javascript:x" alt="j">b</p><img src="cid:missing@mail"><b>c</b><img alt="no src"><i>d</i>',
    );
    expect(r.html).toBe('<p>ab</p><b>c</b><i>d</i>');
    const kept = clean(
      '<img alt="&quot; src=&quot;x" src="https://cdn.example/a.png"><img title=" src=" src="/rel">',
    );
    expect(kept.html).toBe(
      '<img alt="&quot; src=&quot;x" data-remote-src="https://cdn.example/a.png" />',
    );
  });

  it(`refuses a body nested deeper than ${MAX_HTML_DEPTH} levels instead of sanitising it`, () => {
    const tooDeep = clean('<div>'.repeat(MAX_HTML_DEPTH + 1) + '<script>alert(1)</script>x');
    expect(tooDeep).toEqual({ html: '', remoteImagesBlocked: 0, refused: 'html_too_deep' });
    const atLimit = clean(
      '<div>'.repeat(MAX_HTML_DEPTH) + '</div>'.repeat(MAX_HTML_DEPTH) + '<p>after</p>',
    );
    expect(atLimit.refused).toBeNull();
    expect(atLimit.html).toMatch(/^<div><div>.*<\/div><\/div><p>after<\/p>$/);
  });

  it(`refuses a body over ${MAX_HTML_CHARS} characters instead of sanitising it`, () => {
    const big = '<p>' + 'x'.repeat(MAX_HTML_CHARS) + '</p><script>alert(1)</script>';
    expect(clean(big)).toEqual({ html: '', remoteImagesBlocked: 0, refused: 'html_too_large' });
    expect(clean('<p>' + 'x'.repeat(1024 * 1024) + '</p>').refused).toBeNull();
  });

  it('refuses a body whose foreign-content stack grows while its elements stay flat', () => {
    expect(clean('<div><svg></div>'.repeat(MAX_HTML_DEPTH + 1)).refused).toBe('html_too_deep');
  });
});
