// HTML bodies are attacker-controlled and end up in an agent's browser. Allowlist washing with
// sanitize-html: no script, no active content, no forms, no SVG/MathML, no remote fetches unless
// asked for, CSS only as a handful of properties whose values cannot name a URL. Sanitizers get
// bypassed (docs/security-controls.md#html-sanitising), so the UI must still render this in a sandboxed iframe with a CSP.
//
// The output is a fixed point: sanitising it again with the same options gives the same HTML.
// That is what lets the UI re-run it with `loadRemoteImages: true` when an agent asks for images,
// and it catches mutation-XSS tricks that only appear after a second parse.
import sanitizeHtml from 'sanitize-html';

import { exceedsHtmlDepth, MAX_HTML_DEPTH } from './html-depth.js';
import {
  ALLOWED_ATTRIBUTES,
  ALLOWED_STYLES,
  ALLOWED_TAGS,
  DROP_WITH_CONTENT,
} from './sanitize-allowlist.js';

export interface SanitizeOptions {
  /** Maps a `cid:` reference to the attachment endpoint URL, or null when the message has no such part. */
  cidUrl: (contentId: string) => string | null;
  /** Load remote images; off by default so opening a ticket does not tell the sender (tracking pixels). */
  loadRemoteImages?: boolean;
}

export interface SanitizedHtml {
  /** The sanitised markup; '' when `refused` is set. */
  html: string;
  /** Remote images left unloaded: their URL is kept in `data-remote-src`. */
  remoteImagesBlocked: number;
  /**
   * Set when the body was not sanitised at all, because it is larger than MAX_HTML_CHARS or the
   * parser would nest it deeper than MAX_HTML_DEPTH (see html-depth.ts): callers show text instead
   * and record this as a warning.
   */
  refused: HtmlRefusal | null;
}

export type HtmlRefusal = 'html_too_large' | 'html_too_deep';

/**
 * Largest HTML body sanitised (docs/security-controls.md#html-sanitising: at most 10 MiB). Sanitising is
 * linear, but at its worst (a flood of '<', about 0.5 µs a character here) 10 Mi characters
 * already take seconds of the worker's main thread; newsletters are well under 1 MB.
 */
export const MAX_HTML_CHARS = 10 * 1024 * 1024;

/** Why sanitizeEmailHtml would not sanitise this body, or null; checked before anything else. */
export function htmlRefusal(html: string): HtmlRefusal | null {
  if (html.length > MAX_HTML_CHARS) return 'html_too_large';
  if (exceedsHtmlDepth(html, MAX_HTML_DEPTH)) return 'html_too_deep';
  return null;
}

const RASTER_DATA_URL = /^data:image\/(?:png|gif|jpe?g|webp|bmp);base64,[a-z0-9+/=\s]+$/i;

/** Lower-cased scheme after removing what browsers ignore (controls, whitespace), or null if relative. */
function schemeOf(url: string): string | null {
  const compact = url.replace(
    // eslint-disable-next-line no-control-regex -- browsers ignore control characters inside a URL scheme
    /[\u0000-\u0020\u007f-\u00a0\u1680\u180e\u2000-\u2029\u205f\u3000\ufeff]/g,
    '',
  );
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(compact);
  return m?.[1]?.toLowerCase() ?? null;
}

const isHttpUrl = (url: string): boolean => {
  const scheme = schemeOf(url);
  return (scheme === 'http' || scheme === 'https') && /^\s*https?:\/\/[^\s/]/i.test(url);
};

function cidOf(url: string): string | null {
  if (schemeOf(url) !== 'cid') return null;
  const raw = url.trim().slice(4).replace(/^<|>$/g, '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

// An image left with nothing to show (unknown cid, script URL, relative path) goes entirely. This
// is done on the output rather than with sanitize-html's exclusiveFilter, which cuts each rejected
// element out with substring() and so copies the whole output so far once per rejected image
// (quadratic: 20,000 `<p>text<img src=javascript:…>` took 10 s). The output escapes `<`, `>` and
// `"` in text and attribute values, so every `<img` in it is a tag and ` src="` an attribute.
const IMG_TAG = /<img\b[^>]*>/g;
const SHOWS_SOMETHING = / (?:src|data-remote-src)="/;
const dropEmptyImages = (html: string): string =>
  html.includes('<img')
    ? html.replace(IMG_TAG, (tag) => (SHOWS_SOMETHING.test(tag) ? tag : ''))
    : html;

// Attributes in name order, so a second pass emits byte-identical markup.
const ordered = (attribs: sanitizeHtml.Attributes): sanitizeHtml.Attributes =>
  Object.fromEntries(Object.entries(attribs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export function sanitizeEmailHtml(html: string, opts: SanitizeOptions): SanitizedHtml {
  const refused = htmlRefusal(html);
  if (refused !== null) return { html: '', remoteImagesBlocked: 0, refused };
  let remoteImagesBlocked = 0;

  const linkTransform = (_tag: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => {
    const out: sanitizeHtml.Attributes = { ...attribs };
    delete out.href;
    delete out['data-cid'];
    const cid = attribs['data-cid'] ?? cidOf(attribs.href ?? '');
    const href = attribs.href ?? '';
    if (cid !== null && cid !== undefined) {
      const url = opts.cidUrl(cid);
      if (url !== null) Object.assign(out, { href: url, 'data-cid': cid });
    } else if (isHttpUrl(href) || schemeOf(href) === 'mailto') {
      out.href = href.trim();
    }
    return {
      tagName: 'a',
      attribs: ordered({ ...out, rel: 'noopener noreferrer nofollow', target: '_blank' }),
    };
  };

  const imageTransform = (_tag: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => {
    const out: sanitizeHtml.Attributes = { ...attribs };
    delete out.src;
    delete out['data-cid'];
    delete out['data-remote-src'];
    const src = attribs.src ?? '';
    const cid = attribs['data-cid'] ?? cidOf(src);
    const remote = isHttpUrl(src)
      ? src.trim()
      : isHttpUrl(attribs['data-remote-src'] ?? '')
        ? (attribs['data-remote-src'] ?? '').trim()
        : null;
    if (cid !== null && cid !== undefined) {
      const url = opts.cidUrl(cid);
      if (url === null) return { tagName: 'img', attribs: {} };
      Object.assign(out, { src: url, 'data-cid': cid });
    } else if (RASTER_DATA_URL.test(src.trim())) {
      out.src = src.trim();
    } else if (remote !== null) {
      if (opts.loadRemoteImages === true) {
        out.src = remote;
      } else {
        out['data-remote-src'] = remote;
        remoteImagesBlocked++;
      }
    } else {
      return { tagName: 'img', attribs: {} };
    }
    return { tagName: 'img', attribs: ordered(out) };
  };

  const clean = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedStyles: { '*': ALLOWED_STYLES },
    allowedClasses: {},
    nonTextTags: DROP_WITH_CONTENT,
    disallowedTagsMode: 'discard',
    // The transforms above already chose each URL; these lists are the second line of defence.
    // Relative URLs are allowed here only because the attachment endpoint from cidUrl may be one.
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'data-remote-src'],
    allowProtocolRelative: false,
    allowVulnerableTags: false,
    enforceHtmlBoundary: false,
    nestingLimit: 200,
    transformTags: { a: linkTransform, img: imageTransform },
  });
  return { html: dropEmptyImages(clean), remoteImagesBlocked, refused: null };
}
