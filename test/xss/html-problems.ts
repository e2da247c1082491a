// What a browser would execute or fetch in sanitised HTML: the DOM is parsed again and searched.
// Shared by the XSS corpus test and the ingest fuzz test, so both hold output to the same bar.
import { parseHTML } from 'linkedom';

/** Where a cid: image may point after sanitising (the tests' cidUrl maps to it). */
export const CID_PREFIX = 'https://inlet.test/v1/attachments/';

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
export function findProblems(html: string, cidPrefix = CID_PREFIX): string[] {
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
      if (attr === 'href' && !/^(?:https?:\/\/[^\s/]|mailto:)/i.test(v) && !v.startsWith(cidPrefix))
        problems.push(`href="${v}"`);
      if (attr === 'src' && !v.startsWith(cidPrefix) && !RASTER_DATA.test(v))
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
