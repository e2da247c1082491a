// Text coloured like what is behind it: `color: transparent`, or white text on an explicit white
// background. Only colours the mail states count: the text colour an element sets or inherits, and
// the nearest explicit background (a `bgcolor` attribute or an inline background colour). Text in
// the client's default colour is never judged, because that default is dark in light mode and light
// in dark mode; a background image makes the background unknown, so nothing on it is judged either.

/** sRGB channels 0–255 and alpha 0–1. */
export type Rgba = readonly [number, number, number, number];

// Named colours a mail is likely to hide text with (the HTML 4 set, the near-whites and the greys);
// any other name reads as unknown, so text in it is kept.
const NAMED: Record<string, string> = {
  black: '000000',
  silver: 'c0c0c0',
  gray: '808080',
  grey: '808080',
  white: 'ffffff',
  maroon: '800000',
  red: 'ff0000',
  purple: '800080',
  fuchsia: 'ff00ff',
  magenta: 'ff00ff',
  green: '008000',
  lime: '00ff00',
  olive: '808000',
  yellow: 'ffff00',
  navy: '000080',
  blue: '0000ff',
  teal: '008080',
  aqua: '00ffff',
  cyan: '00ffff',
  orange: 'ffa500',
  snow: 'fffafa',
  ghostwhite: 'f8f8ff',
  whitesmoke: 'f5f5f5',
  floralwhite: 'fffaf0',
  ivory: 'fffff0',
  azure: 'f0ffff',
  aliceblue: 'f0f8ff',
  mintcream: 'f5fffa',
  honeydew: 'f0fff0',
  seashell: 'fff5ee',
  linen: 'faf0e6',
  oldlace: 'fdf5e6',
  lavenderblush: 'fff0f5',
  gainsboro: 'dcdcdc',
  lightgray: 'd3d3d3',
  lightgrey: 'd3d3d3',
  darkgray: 'a9a9a9',
  darkgrey: 'a9a9a9',
  dimgray: '696969',
  dimgrey: '696969',
};

const TRANSPARENT: Rgba = [0, 0, 0, 0];
const HEX = /^#?([\da-f]{3,4}|[\da-f]{6}|[\da-f]{8})$/;
const FUNCTION = /^(rgba?|hsla?)\(([^)]*)\)$/;

function fromHex(hex: string): Rgba {
  const full = hex.length <= 4 ? hex.replace(/./g, '$&$&') : hex;
  const byte = (i: number) => Number.parseInt(full.slice(i, i + 2), 16);
  return [byte(0), byte(2), byte(4), full.length === 8 ? byte(6) / 255 : 1];
}

/** A channel of rgb(): a number 0–255 or a percentage. */
const channel = (v: string): number =>
  v.endsWith('%') ? (Number.parseFloat(v) * 255) / 100 : Number.parseFloat(v);
const alphaOf = (v: string | undefined): number =>
  v === undefined ? 1 : v.endsWith('%') ? Number.parseFloat(v) / 100 : Number.parseFloat(v);

function fromHsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => 255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1)));
  return [f(0), f(8), f(4)];
}

function fromFunction(kind: string, args: string): Rgba | undefined {
  const parts = args.split(/[\s,/]+/).filter((p) => p !== '');
  if (parts.length < 3 || parts.length > 4) return undefined;
  const alpha = alphaOf(parts[3]);
  const rgb = kind.startsWith('rgb')
    ? [channel(parts[0]!), channel(parts[1]!), channel(parts[2]!)]
    : fromHsl(
        Number.parseFloat(parts[0]!),
        Number.parseFloat(parts[1]!) / 100,
        Number.parseFloat(parts[2]!) / 100,
      );
  const out = [...rgb.map((c) => Math.max(0, Math.min(255, c))), Math.max(0, Math.min(1, alpha))];
  return out.every(Number.isFinite) ? (out as unknown as Rgba) : undefined;
}

/** A CSS or HTML colour value (lower-cased), or undefined when it names no colour this rule knows. */
export function parseColour(value: string): Rgba | undefined {
  const v = value.trim();
  if (v === 'transparent') return TRANSPARENT;
  const named = NAMED[v];
  if (named !== undefined) return fromHex(named);
  const hex = HEX.exec(v);
  // A bare hex without '#' is what legacy HTML attributes (bgcolor, font color) accept.
  if (hex !== null) return fromHex(hex[1]!);
  const fn = FUNCTION.exec(v);
  return fn === null ? undefined : fromFunction(fn[1]!, fn[2]!);
}

/** The colour a `background` shorthand paints, 'image' when it paints an image, else undefined. */
export function backgroundShorthand(value: string): Rgba | 'image' | undefined {
  if (/url\(|gradient\(|image\(/.test(value)) return 'image';
  // The colour is the one token of the shorthand that parses as a colour (functions keep spaces).
  for (const token of value.match(/[a-z]+\([^)]*\)|[^\s]+/g) ?? []) {
    const colour = parseColour(token);
    if (colour !== undefined) return colour;
  }
  return undefined;
}

/**
 * Largest difference, per sRGB channel, between text and its background that nobody can read:
 * 8/255 (about 3 %) is below what a screen shows as a visible edge on ordinary text.
 */
const UNREADABLE = 8;

/**
 * Whether text in `ink` cannot be seen: it is (nearly) fully transparent, or `paper` — the nearest
 * explicit background, undefined when none is known — is within UNREADABLE of it once the text's
 * alpha is blended in.
 */
export function invisibleInk(ink: Rgba, paper: Rgba | undefined): boolean {
  if (ink[3] * 255 <= UNREADABLE) return true;
  if (paper === undefined) return false;
  const gap = Math.max(...[0, 1, 2].map((i) => Math.abs(ink[i]! - paper[i]!)));
  return ink[3] * gap <= UNREADABLE;
}

/** A background colour painted over `under` (undefined: unknown), or undefined when not opaque enough to tell. */
export function paintOver(colour: Rgba, under: Rgba | undefined): Rgba | undefined {
  if (colour[3] >= 1) return colour;
  if (under === undefined) return undefined;
  const a = colour[3];
  const mix = (i: number) => colour[i]! * a + under[i]! * (1 - a);
  return [mix(0), mix(1), mix(2), 1];
}
