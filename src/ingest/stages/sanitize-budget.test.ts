// security.md item 14: HTML built to make the sanitiser slow. Its budget is a size (MAX_HTML_CHARS)
// and a depth (MAX_HTML_DEPTH) checked before any parsing, so the work stays linear in a bounded input;
// past the budget the body is refused and the message shows its text instead (prepare.ts).
// No timed assertions (the machine is shared): the tests pin what comes out at and past the budget.
import { describe, expect, it } from 'vitest';

import { prepareMessage } from '../prepare.js';
import { defaultIngestLimits } from '../types.js';
import { MAX_HTML_DEPTH } from './html-depth.js';
import { MAX_HTML_CHARS, sanitizeEmailHtml } from './sanitize-html.js';

const clean = (html: string) => sanitizeEmailHtml(html, { cidUrl: () => null });

// Each hostile class a little under 1 MiB; `pad` grows one past MAX_HTML_CHARS.
const hostile = {
  attributes: (n: number) =>
    '<p ' +
    Array.from({ length: n }, (_, i) => `data-a${i}="x" onclick${i}=y`).join(' ') +
    '>t</p>',
  repeatedAttributes: (n: number) =>
    '<b style="color:red" onmouseover="x()" class="c">.</b>'.repeat(n),
  declarations: (n: number) =>
    '<p style="' + 'color:red;background:url(//t.example/p);'.repeat(n) + '">t</p>',
  entities: (n: number) =>
    '<p>' + '&lt;script&gt;&#x3c;&#60;&amp;&#99999999;&#x0;&nbsp;'.repeat(n) + '</p>',
};

describe('HTML built to be slow to sanitise', () => {
  it('huge attribute counts lose every attribute outside the allowlist', () => {
    for (const html of [hostile.attributes(40_000), hostile.repeatedAttributes(20_000)]) {
      const r = clean(html);
      expect(r.refused).toBeNull();
      expect(r.html).not.toMatch(/\son\w*=|data-a|class=/i);
      expect(r.html.length).toBeLessThanOrEqual(html.length);
      expect(clean(r.html).html).toBe(r.html);
    }
  });

  it('thousands of style declarations keep only the safe ones and never a URL', () => {
    const r = clean(hostile.declarations(20_000));
    expect(r.refused).toBeNull();
    expect(r.html).not.toMatch(/url\(|background/i);
    // The dropped background images leave only sanitize-background.ts's mark.
    expect(r.html).toMatch(/^<p style="color:red(;color:red)*" data-inlet-backdrop="1">t<\/p>$/);
  });

  it('a flood of entities, also invalid and NUL ones, decodes to inert text', () => {
    const html = hostile.entities(20_000);
    const r = clean(html);
    expect(r.refused).toBeNull();
    expect(r.html).not.toMatch(/<script|\0/i);
    expect(r.html.length).toBeLessThanOrEqual(html.length);
    expect(clean(r.html).html).toBe(r.html);
  });

  it('each class grown past the budget is refused before parsing, not sanitised', () => {
    const pad = (html: string) => html + '<i>x</i>'.repeat((MAX_HTML_CHARS - html.length) / 8 + 1);
    for (const html of [
      pad(hostile.attributes(40_000)),
      pad(hostile.declarations(20_000)),
      pad(hostile.entities(20_000)),
      '<b>'.repeat(MAX_HTML_DEPTH + 1) + hostile.attributes(10),
    ]) {
      expect(clean(html).html).toBe('');
      expect(clean(html).refused).toMatch(/^html_too_(large|deep)$/);
    }
  });

  it('past the budget the message keeps its text part, says why, and stores no markup', async () => {
    const html = hostile.entities(20_000);
    const big = html + '<i>x</i>'.repeat((MAX_HTML_CHARS - html.length) / 8 + 1);
    const raw = Buffer.from(
      'From: Ann <ann@example.com>\r\nTo: support@inlet.test\r\nSubject: Slow\r\n' +
        'Message-ID: <slow@example.com>\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: multipart/alternative; boundary="b"\r\n\r\n' +
        '--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer is jammed\r\n' +
        `--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${big}\r\n--b--\r\n`,
    );
    const m = await prepareMessage(raw, defaultIngestLimits);
    expect(m.html).toBeNull();
    expect(m.warnings).toContain('html_too_large');
    expect(m.text).toBe('The printer is jammed');
  });
});
