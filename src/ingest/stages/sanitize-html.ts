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
  afterLineBreak,
  elementState,
  type HiddenState,
  hidesSubtree,
  hidesText,
  VISIBLE,
} from './html-hidden.js';
import {
  ALLOWED_ATTRIBUTES,
  ALLOWED_STYLES,
  ALLOWED_TAGS,
  DROP_WITH_CONTENT,
} from './sanitize-allowlist.js';
import { IMAGE_BACKGROUND_MARK, keepBackground } from './sanitize-background.js';

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

/**
 * Whether the sanitiser keeps a link's target, so the link shows in the client's link colour
 * (html-hidden.ts). Without `cidUrl` (the text view) any cid: reference counts as kept.
 */
export function keepsLink(
  href: string | undefined,
  dataCid: string | undefined,
  cidUrl?: (contentId: string) => string | null,
): boolean {
  const cid = dataCid ?? cidOf(href ?? '');
  if (cid !== null) return cidUrl === undefined || cidUrl(cid) !== null;
  return href !== undefined && (isHttpUrl(href) || schemeOf(href) === 'mailto');
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

// Marks the outermost element of hidden content in the sanitiser's output (never in the result).
const HIDDEN_MARK = 'data-inlet-hidden';
const MARKED = /<([a-z][a-z0-9]*) data-inlet-hidden="1"( \/)?>/g;
const tagsNamed = new Map<string, RegExp>();

/** Index just past the end tag that closes the element whose start tag ends at `from`. */
function closingEnd(html: string, name: string, from: number): number {
  let tag = tagsNamed.get(name);
  if (tag === undefined) tagsNamed.set(name, (tag = new RegExp(`<(/?)${name}[\\s/>]`, 'g')));
  tag.lastIndex = from;
  let depth = 1;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    depth += m[1] === '/' ? -1 : 1;
    if (depth === 0) return html.indexOf('>', m.index) + 1;
  }
  return html.length;
}

/**
 * The sanitised markup without the marked elements and all inside them. The output is balanced and
 * escapes `<` in text and attribute values, so every `<name` in it is a tag; marked elements never
 * nest (nothing inside one is marked), so each character is read once.
 */
function dropHiddenElements(html: string): string {
  if (!html.includes(HIDDEN_MARK)) return html;
  const kept: string[] = [];
  let from = 0;
  MARKED.lastIndex = 0;
  for (let m = MARKED.exec(html); m !== null; m = MARKED.exec(html)) {
    kept.push(html.slice(from, m.index));
    from = m[2] === undefined ? closingEnd(html, m[1]!, MARKED.lastIndex) : MARKED.lastIndex;
    MARKED.lastIndex = from;
  }
  kept.push(html.slice(from));
  return kept.join('');
}

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

  // The hidden-content state (html-hidden.ts) of every element the parser has open, kept in step
  // by its open and close events, which it balances even for broken markup.
  const states: HiddenState[] = [VISIBLE];
  const top = () => states[states.length - 1]!;
  const onOpenTag = (name: string, a: sanitizeHtml.Attributes) => {
    // A line break ends a far text-indent (html-hidden.ts); each element loses it at most once.
    if (name === 'br')
      for (let i = states.length - 1; i > 0 && afterLineBreak(states[i]!) !== states[i]; i--)
        states[i] = afterLineBreak(states[i]!);
    const { style, color, bgcolor } = a;
    // A background image, or the mark keepBackground leaves where the sanitiser dropped one.
    const background = a.background ?? (a[IMAGE_BACKGROUND_MARK] === undefined ? undefined : 'x');
    const attrs = { style, color, bgcolor, background };
    const href = name === 'a' && keepsLink(a.href, a['data-cid'], opts.cidUrl);
    const flags = { hidden: a.hidden !== undefined, href };
    states.push(elementState(top(), name, { ...attrs, ...flags }));
  };
  const onCloseTag = () => {
    if (states.length > 1) states.pop();
  };
  // An element that hides all it holds is emitted bare with a marker, and dropHiddenElements cuts
  // it out with its content afterwards: renaming it to a tag the sanitiser drops would leave a stale
  // entry in sanitize-html's rename map (it wrote the next sibling's end tag under the new name).
  // Links and images inside are not transformed, so nobody counts or offers an image never shown.
  const transform = (name: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => {
    if (hidesSubtree(top())) {
      const root = !hidesSubtree(states[states.length - 2]!);
      return { tagName: name, attribs: root ? { [HIDDEN_MARK]: '1' } : {} };
    }
    let visible = keepBackground(attribs);
    if (visible[HIDDEN_MARK] !== undefined) {
      if (visible === attribs) visible = { ...attribs };
      delete visible[HIDDEN_MARK];
    }
    if (name === 'a') return linkTransform(name, visible);
    if (name === 'img') return imageTransform(name, visible);
    return { tagName: name, attribs: visible };
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
    // One transform for every tag, so a hidden link or image is dropped before it is counted.
    transformTags: { '*': transform },
    onOpenTag,
    onCloseTag,
    textFilter: (text) => (hidesText(top()) ? '' : text),
  });
  return { html: dropEmptyImages(dropHiddenElements(clean)), remoteImagesBlocked, refused: null };
}
