// Content a mail client never shows: preheaders and padding that newsletters hide to steer the inbox
// preview, and text phishing hides from the reader but not from filters. One rule for both views an
// agent gets: what a client hides is neither in the text (nor the reply taken from it) nor visible in
// the sanitised HTML. An element that hides everything inside it is dropped from the HTML with its
// content; text hidden by an inherited property a descendant can undo (font-size: 0, visibility:
// hidden) is dropped on its own, so a visible child keeps its text. Only inline styles and the
// `hidden` attribute count: stylesheets are dropped by the sanitiser, so what they hid shows in both
// views alike. `mso-hide: all` alone hides only in Outlook for Windows; every other client, and the
// agent's browser, shows it, so it is not a rule here.

/** The element hides itself and everything inside it; nothing a descendant says undoes that. */
export const HIDES_SUBTREE = 4;
/** Inherited states that hide text until a descendant undoes them. */
const FONT_ZERO = 1;
const INVISIBLE = 2;

/**
 * Whether a tag's attribute text (or a style) could hide anything when nothing around it does: a
 * cheap test that spares the declarations of nearly every tag in a newsletter from being read. It
 * matches everything elementState acts on from a visible parent, and any entity (which could spell it).
 */
export const MAY_HIDE = /hidden|clip|opacity|visib|display\s*:\s*none|font-size\s*:\s*[-+]?[.0]|&/i;

/** A state no text under it is shown in (any bit set). */
export const hidesText = (state: number): boolean => state !== 0;

// Elements whose box is inline unless their style says otherwise: height and width do not apply
// to them, so a zero height with overflow hidden hides nothing.
const INLINE = new Set([
  'a',
  'abbr',
  'b',
  'bdi',
  'bdo',
  'big',
  'cite',
  'code',
  'del',
  'dfn',
  'em',
  'font',
  'i',
  'ins',
  'kbd',
  'mark',
  'q',
  's',
  'samp',
  'small',
  'span',
  'strike',
  'strong',
  'sub',
  'sup',
  'tt',
  'u',
  'var',
]);

const WATCHED = new Set([
  'display',
  'visibility',
  'opacity',
  'font-size',
  'height',
  'max-height',
  'width',
  'max-width',
  'overflow',
  'overflow-x',
  'overflow-y',
]);
const IMPORTANT = /!\s*important\s*$/;

/** The declarations of an inline style this rule reads, lower-cased, as the cascade resolves them. */
function readStyle(style: string): Map<string, string> {
  const out = new Map<string, string>();
  const important = new Set<string>();
  for (const decl of style.split(';')) {
    const colon = decl.indexOf(':');
    if (colon === -1) continue;
    const prop = decl.slice(0, colon).trim().toLowerCase();
    if (!WATCHED.has(prop)) continue;
    let value = decl
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    const isImportant = IMPORTANT.test(value);
    if (isImportant) value = value.replace(IMPORTANT, '').trim();
    // A later declaration wins unless an earlier one of the same property is !important.
    if (important.has(prop) && !isImportant) continue;
    if (isImportant) important.add(prop);
    out.set(prop, value);
  }
  return out;
}

const LENGTH = /^[-+]?[\d.]+(?:[a-z]+|%)?$/;
/** A length or number that is zero in any unit: 0, 0px, .0em, 0%. */
const isZero = (v: string | undefined): boolean =>
  v !== undefined && LENGTH.test(v) && Number.parseFloat(v.replace(/^\+/, '')) === 0;
const RELATIVE_SIZE = /^(?:[-+]?[\d.]+(?:em|ex|ch|%)|larger|smaller|inherit|unset|revert)$/;

const clips = (v: string | undefined): boolean => v === 'hidden' || v === 'clip';

/** Whether a box of this element with this style clips all it holds to nothing. */
function clipsToNothing(tag: string, s: Map<string, string>, display: string | undefined) {
  const inline = display === undefined ? INLINE.has(tag) : display === 'inline';
  if (inline) return false;
  const [x, y = x] = (s.get('overflow') ?? '').split(/\s+/);
  const clipX = clips(s.get('overflow-x') ?? x);
  const clipY = clips(s.get('overflow-y') ?? y);
  return (
    (clipY && (isZero(s.get('height')) || isZero(s.get('max-height')))) ||
    (clipX && (isZero(s.get('width')) || isZero(s.get('max-width'))))
  );
}

/**
 * The state of an element opened inside one with state `parent`: HIDES_SUBTREE when it or an
 * ancestor hides everything, else the inherited text-hiding bits it sets or undoes. `style` is the
 * element's decoded style attribute, `hiddenAttr` whether it carries `hidden`.
 */
export function elementState(
  parent: number,
  tag: string,
  style: string | undefined,
  hiddenAttr: boolean,
): number {
  if ((parent & HIDES_SUBTREE) !== 0) return parent;
  if (style === undefined || style === '') return hiddenAttr ? HIDES_SUBTREE : parent;
  if (parent === 0 && !hiddenAttr && !MAY_HIDE.test(style)) return 0;
  const s = readStyle(style);
  const display = s.get('display');
  // `hidden` is the user agent's display: none, which an inline display overrides.
  if (display === 'none' || (hiddenAttr && display === undefined)) return HIDES_SUBTREE;
  const opacity = s.get('opacity');
  if (isZero(opacity?.endsWith('%') === true ? opacity.slice(0, -1) : opacity))
    return HIDES_SUBTREE;
  if (clipsToNothing(tag, s, display)) return HIDES_SUBTREE;
  let state = parent;
  const size = s.get('font-size');
  if (isZero(size)) state |= FONT_ZERO;
  else if (size !== undefined && !RELATIVE_SIZE.test(size)) state &= ~FONT_ZERO;
  const visibility = s.get('visibility');
  if (visibility === 'hidden' || visibility === 'collapse') state |= INVISIBLE;
  else if (visibility === 'visible') state &= ~INVISIBLE;
  return state;
}
