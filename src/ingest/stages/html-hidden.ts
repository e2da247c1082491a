// Content a mail client never shows: preheaders and padding that newsletters hide to steer the inbox
// preview, and text phishing hides from the reader but not from filters. One rule for both views an
// agent gets: what a client hides is neither in the text (nor the reply taken from it) nor visible in
// the sanitised HTML. An element that hides everything inside it is dropped from the HTML with its
// content; text hidden by an inherited property a descendant can undo (font-size: 0, visibility:
// hidden) is dropped on its own, so a visible child keeps its text. Text moved off-screen
// (html-hidden-offscreen.ts) hides like display: none; text coloured like its background
// (html-hidden-colour.ts) like font-size: 0. Only inline styles and presentational attributes
// count: stylesheets are dropped by the sanitiser, so what they hid shows in both views alike.
// `mso-hide: all` alone hides only in Outlook for Windows; every other client, and the agent's
// browser, shows it, so it is not a rule here.

import {
  backgroundShorthand,
  invisibleInk,
  paintOver,
  parseColour,
  type Rgba,
} from './html-hidden-colour.js';
import { farNegative, lengthPx, offScreen } from './html-hidden-offscreen.js';

/** The element hides itself and everything inside it; nothing a descendant says undoes that. */
const HIDES_SUBTREE = 4;
/** Inherited states that hide text until a descendant undoes them. */
const FONT_ZERO = 1;
const INVISIBLE = 2;
/** The first line is indented far off the page (a line break ends it). */
const INDENTED = 8;
/** The text colour cannot be told from the background. */
const SAME_COLOUR = 16;

/** What an open element hides, and the colours its text inherits. Shared, never changed. */
export interface HiddenState {
  readonly bits: number;
  /** The text colour set here or above; undefined: the client's default, never judged. */
  readonly ink: Rgba | undefined;
  /** The nearest explicit background; undefined when there is none or it cannot be told (an image). */
  readonly paper: Rgba | undefined;
}

/** The attributes of an element this rule reads; `style` entity-decoded, values as written. */
export interface HiddenAttrs {
  style: string | undefined;
  hidden: boolean;
  /** `color` of a <font>, `bgcolor`, and `background` (an image URL) of a table part or body. */
  color: string | undefined;
  bgcolor: string | undefined;
  background: string | undefined;
  /** An <a> whose target the sanitiser keeps: the client paints it in its own link colour. */
  href: boolean;
}

export const VISIBLE: HiddenState = { bits: 0, ink: undefined, paper: undefined };
const GONE: HiddenState = { bits: HIDES_SUBTREE, ink: undefined, paper: undefined };

/**
 * Whether a tag's attribute text could change what is hidden when nothing around it does: a cheap
 * test that spares the attributes of most tags from being read. It matches everything elementState
 * acts on from VISIBLE, and any entity (which could spell it).
 */
export const MAY_HIDE =
  /hidden|clip|opacity|visib|display\s*:\s*none|font-size\s*:\s*[-+]?[.0]|color|background|backdrop|[:\s]-\s*[.\d]|&/i;

/** A state no text under it is shown in. */
export const hidesText = (state: HiddenState): boolean => state.bits !== 0;
/** A state whose element and all inside it are gone. */
export const hidesSubtree = (state: HiddenState): boolean => (state.bits & HIDES_SUBTREE) !== 0;

/** The state after a line break inside an element in `state`: a far text-indent moves only the first line. */
export const afterLineBreak = (state: HiddenState): HiddenState =>
  (state.bits & INDENTED) === 0 ? state : { ...state, bits: state.bits & ~INDENTED };
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
  'position',
  'left',
  'top',
  'margin',
  'margin-left',
  'clip',
  'clip-path',
  'text-indent',
  'color',
  'background',
  'background-color',
  'background-image',
]);
const IMPORTANT = /!\s*important\s*$/;

/**
 * Whether the sanitiser's CSS parser (postcss) reads this style; it drops a style it cannot read
 * whole, where a browser drops only the broken declaration. Mirrors postcss's errors: braces, an
 * unclosed string or comment, a declaration without a colon, a second colon outside a function.
 */
function sanitiserKeeps(style: string): boolean {
  const bare = style.replace(/\/\*[^]*?\*\/|"[^"]*"|'[^']*'|\([^()]*\)/g, '');
  if (/[{}"']|\/\*/.test(bare)) return false;
  return bare.split(';').every((d) => d.trim() === '' || /^[^:]*:[^:]*$/.test(d));
}

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
// A box at most a pixel across shows a dot of its text at most, which nobody reads. Table parts
// are left out: a cell's height is a minimum and grows to fit what it holds.
const TABLE_PART = new Set(['table', 'tbody', 'thead', 'tfoot', 'tr', 'td', 'th']);
const tiny = (v: string | undefined, tag: string): boolean => {
  if (isZero(v)) return true;
  const px = TABLE_PART.has(tag) ? undefined : lengthPx(v);
  return px !== undefined && px >= 0 && px <= 1;
};

/** Whether a box of this element with this style clips all it holds to nothing. */
function clipsToNothing(tag: string, s: Map<string, string>, display: string | undefined) {
  const inline = display === undefined ? INLINE.has(tag) : display === 'inline';
  if (inline) return false;
  const [x, y = x] = (s.get('overflow') ?? '').split(/\s+/);
  const clipX = clips(s.get('overflow-x') ?? x);
  const clipY = clips(s.get('overflow-y') ?? y);
  return (
    (clipY && (tiny(s.get('height'), tag) || tiny(s.get('max-height'), tag))) ||
    (clipX && (tiny(s.get('width'), tag) || tiny(s.get('max-width'), tag)))
  );
}

const EMPTY = new Map<string, string>();
const BGCOLOR_TAGS = new Set(['body', 'table', 'tr', 'td', 'th']);
const BLACK: Rgba = [0, 0, 0, 1];
const MARK_YELLOW: Rgba = [255, 255, 0, 1];

/** The colour text inside this element is painted in. */
function inkOf(parent: HiddenState, tag: string, a: HiddenAttrs, s: Map<string, string>) {
  const color = s.get('color');
  if (color === 'inherit' || color === 'currentcolor') return parent.ink;
  if (color !== undefined) return parseColour(color);
  if (tag === 'font' && a.color !== undefined) return parseColour(a.color.toLowerCase());
  if (tag === 'a' && a.href) return undefined;
  return tag === 'mark' ? BLACK : parent.ink;
}

/** The nearest explicit background behind this element's text. */
function paperOf(parent: HiddenState, tag: string, a: HiddenAttrs, s: Map<string, string>) {
  // An image paints over any colour, from a style or the `background` attribute.
  const image = s.get('background-image');
  if (image !== undefined && image !== 'none') return undefined;
  if (a.background !== undefined && a.background.trim() !== '') return undefined;
  const shorthand = s.get('background');
  const painted =
    s.has('background-color') || shorthand === undefined
      ? s.get('background-color')
      : backgroundShorthand(shorthand);
  if (painted === 'image') return undefined;
  if (painted !== undefined) {
    const colour = typeof painted === 'string' ? parseColour(painted) : painted;
    if (painted === 'inherit' || painted === 'currentcolor') return parent.paper;
    return colour === undefined ? undefined : paintOver(colour, parent.paper);
  }
  if (a.bgcolor !== undefined && BGCOLOR_TAGS.has(tag)) {
    const colour = parseColour(a.bgcolor.trim().toLowerCase());
    return colour === undefined ? undefined : paintOver(colour, parent.paper);
  }
  return tag === 'mark' ? MARK_YELLOW : parent.paper;
}

// Nothing that could hide, under nothing that does: most tags of a newsletter end here.
const inert = (tag: string, a: HiddenAttrs): boolean =>
  tag !== 'mark' &&
  !a.hidden &&
  a.color === undefined &&
  a.bgcolor === undefined &&
  a.background === undefined &&
  !MAY_HIDE.test(a.style ?? '');

/**
 * The state of an element opened inside one with state `parent`: GONE when it or an ancestor
 * hides everything, else the inherited text-hiding bits it sets or undoes and its colours.
 */
export function elementState(parent: HiddenState, tag: string, a: HiddenAttrs): HiddenState {
  if (hidesSubtree(parent)) return parent;
  if (parent === VISIBLE && inert(tag, a)) return parent;
  const s = a.style === undefined || a.style === '' ? EMPTY : readStyle(a.style);
  const display = s.get('display');
  // `hidden` is the user agent's display: none, which an inline display overrides.
  if (display === 'none' || (a.hidden && display === undefined)) return GONE;
  const opacity = s.get('opacity');
  if (isZero(opacity?.endsWith('%') === true ? opacity.slice(0, -1) : opacity)) return GONE;
  if (clipsToNothing(tag, s, display) || offScreen(s)) return GONE;
  let bits = parent.bits;
  // What a style the sanitiser drops makes visible would not be visible in the sanitised HTML, so
  // such a style only hides (a second pass over the output then agrees with the first).
  const reveals = s === EMPTY || sanitiserKeeps(a.style!);
  const size = s.get('font-size');
  if (isZero(size)) bits |= FONT_ZERO;
  else if (size !== undefined && !RELATIVE_SIZE.test(size)) bits &= ~FONT_ZERO;
  const visibility = s.get('visibility');
  if (visibility === 'hidden' || visibility === 'collapse') bits |= INVISIBLE;
  else if (visibility === 'visible') bits &= ~INVISIBLE;
  const indent = s.get('text-indent');
  // text-indent acts on block containers; an inline element's text sits on its block's line.
  if (indent !== undefined && !(display === undefined ? INLINE.has(tag) : display === 'inline'))
    bits = farNegative(indent) ? bits | INDENTED : bits & ~INDENTED;
  const ink = inkOf(parent, tag, a, s);
  const paper = paperOf(parent, tag, a, s);
  if (ink !== parent.ink || paper !== parent.paper)
    bits = ink !== undefined && invisibleInk(ink, paper) ? bits | SAME_COLOUR : bits & ~SAME_COLOUR;
  if (!reveals) bits |= parent.bits;
  if (bits === parent.bits && ink === parent.ink && paper === parent.paper) return parent;
  return { bits, ink, paper };
}
