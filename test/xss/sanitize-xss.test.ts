// Everything the sanitiser emits is parsed again by a DOM parser and searched for anything a
// browser would execute or fetch. Inputs: every HTML body in the shared corpora plus a generated
// hostile set. A second sanitising pass must change nothing (catches mutation XSS).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { parseHTML } from 'linkedom';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';

import { sanitizeEmailHtml } from '../../src/ingest/stages/sanitize-html.js';
import { findCorpus } from '../corpus/run-corpus.js';
import { hostileHtml } from './hostile-html.js';

const CID_PREFIX = 'https://inlet.test/v1/attachments/';
const opts = { cidUrl: (cid: string) => (cid === 'logo@mail' ? `${CID_PREFIX}a1/content` : null) };

const FORBIDDEN_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'base',
  'meta',
  'link',
  'style',
  'svg',
  'math',
  'template',
  'xmp',
  'noscript',
  'noembed',
  'noframes',
  'plaintext',
  'isindex',
  'audio',
  'video',
  'source',
  'picture',
  'marquee',
  'image',
  'use',
  'animate',
  'set',
  'foreignobject',
]);
const NEVER_ATTRS = new Set([
  'action',
  'formaction',
  'xlink:href',
  'background',
  'poster',
  'data',
  'srcdoc',
  'srcset',
  'lowsrc',
  'dynsrc',
  'longdesc',
]);
const BAD_CSS = /url\s*\(|expression\s*\(|@import|\\|behavior|binding|image-set|javascript:/i;
const RASTER_DATA = /^data:image\/(?:png|gif|jpe?g|webp|bmp);base64,[a-z0-9+/=\s]+$/i;

/** Everything executable or fetching that survived, as readable strings (empty = clean). */
function findProblems(html: string): string[] {
  const { document } = parseHTML(`<!doctype html><html><head></head><body>${html}</body></html>`);
  const problems: string[] = [];
  if (document.head.childNodes.length > 0) problems.push('content hoisted into <head>');
  for (const el of document.body.querySelectorAll('*')) {
    const tag = el.localName.toLowerCase();
    if (FORBIDDEN_TAGS.has(tag)) problems.push(`element <${tag}>`);
    for (const { name, value } of Array.from(
      el.attributes as ArrayLike<{ name: string; value: string }>,
    )) {
      const attr = name.toLowerCase();
      const v = value.trim();
      if (attr.startsWith('on')) problems.push(`<${tag} ${attr}>`);
      if (NEVER_ATTRS.has(attr)) problems.push(`<${tag} ${attr}="${v}">`);
      if (
        attr === 'href' &&
        !/^(?:https?:\/\/[^\s/]|mailto:)/i.test(v) &&
        !v.startsWith(CID_PREFIX)
      )
        problems.push(`href="${v}"`);
      if (attr === 'src' && !v.startsWith(CID_PREFIX) && !RASTER_DATA.test(v))
        problems.push(`<${tag} src="${v}">`);
      if (attr === 'data-remote-src' && !/^https?:\/\/[^\s/]/i.test(v))
        problems.push(`data-remote-src="${v}"`);
      if (attr === 'style' && BAD_CSS.test(v)) problems.push(`style="${v}"`);
      if (attr === 'target' && v !== '_blank') problems.push(`target="${v}"`);
    }
    if (
      tag === 'a' &&
      el.getAttribute('href') !== null &&
      el.getAttribute('rel') !== 'noopener noreferrer nofollow'
    )
      problems.push('link without rel');
  }
  return problems;
}

function findMail(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findMail(path, out);
    else if (/\.(?:eml|box|html)$/i.test(entry.name) && statSync(path).size < 5_000_000)
      out.push(path);
  }
  return out;
}

const found = findCorpus();
const corpusRoot = 'dir' in found ? found.dir : '';
const hasCorpus = (() => {
  try {
    return statSync(corpusRoot).isDirectory();
  } catch {
    return false;
  }
})();

function check(name: string, input: string): string[] {
  const first = sanitizeEmailHtml(input, opts);
  const second = sanitizeEmailHtml(first.html, opts);
  const problems = findProblems(first.html).map((p) => `${name}: ${p}`);
  if (second.html !== first.html) problems.push(`${name}: not idempotent`);
  if (second.remoteImagesBlocked !== first.remoteImagesBlocked)
    problems.push(`${name}: blocked count changed on second pass`);
  return problems;
}

describe('sanitizeEmailHtml against hostile HTML', () => {
  const cases = hostileHtml();

  it(`leaves nothing executable in ${cases.length} hostile inputs, and a second pass changes nothing`, () => {
    expect(cases.length).toBeGreaterThan(1000);
    const problems = cases.flatMap((html, i) => check(`hostile #${i} ${html.slice(0, 60)}`, html));
    expect(problems).toEqual([]);
  });

  it('returns no markup at all for a body nested too deep to sanitise', () => {
    const refused = cases
      .map((html) => sanitizeEmailHtml(html, opts))
      .filter((r) => r.refused !== null);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const r of refused)
      expect(r).toEqual({ html: '', remoteImagesBlocked: 0, refused: 'html_too_deep' });
  });

  it('the DOM check itself catches what it is meant to catch', () => {
    const problems = findProblems(
      '<img src=x onerror=alert(1)><a href="javascript:x">y</a><div style="background:url(x)"></div><svg></svg>',
    );
    expect(problems).toEqual([
      '<img src="x">',
      '<img onerror>',
      'href="javascript:x"',
      'link without rel',
      'style="background:url(x)"',
      'element <svg>',
    ]);
  });
});

describe.skipIf(!hasCorpus)(
  'sanitizeEmailHtml on corpus HTML bodies (skipped: ../shared/corpus not found)',
  () => {
    const bodies: { name: string; html: string }[] = [];

    beforeAll(async () => {
      for (const path of findMail(corpusRoot)) {
        const name = path.slice(corpusRoot.length + 1);
        if (path.endsWith('.html')) {
          bodies.push({ name, html: readFileSync(path, 'utf8') });
          continue;
        }
        try {
          const parsed = await simpleParser(readFileSync(path));
          if (typeof parsed.html === 'string' && parsed.html !== '')
            bodies.push({ name, html: parsed.html });
        } catch {
          // robustness of parsing is the parse stage's test; only bodies that parse are used here
        }
      }
    }, 120_000);

    it('finds HTML bodies to test', () => {
      expect(bodies.length).toBeGreaterThan(20);
    });

    it('leaves nothing executable in any corpus HTML body, and a second pass changes nothing', () => {
      const problems = bodies.flatMap((b) => check(b.name, b.html));
      expect(problems).toEqual([]);
    });
  },
);
