// Text moved where no screen shows it: a positioned box pushed far past the left or top edge
// (`position:absolute; left:-9999px`), a negative left margin as large, a first line indented off
// the page (`text-indent:-9999px`), and the "visually hidden" idiom that clips a box to nothing
// (`clip: rect(0 0 0 0)`, `clip-path: inset(50%)`). Far means at least FAR CSS pixels: small
// negative offsets are ordinary layout (overlaps, hanging indents) and stay shown.

/** An offset at least this far past the left or top edge leaves every screen a mail is read on. */
export const FAR = 1000;

// CSS pixels per unit; em-like units at the 16px default. Percentages and viewport units depend
// on a box this rule does not know, except that -100vw/-100vh is off any viewport.
const PX: Record<string, number> = {
  px: 1,
  pt: 4 / 3,
  pc: 16,
  in: 96,
  cm: 96 / 2.54,
  mm: 96 / 25.4,
  q: 96 / 101.6,
  em: 16,
  rem: 16,
  ex: 8,
  ch: 8,
};
const LENGTH = /^([-+]?(?:\d+\.?\d*|\.\d+))([a-z]*)$/;

/** A length in CSS pixels, or undefined when it is not one this rule can size. */
export function lengthPx(value: string | undefined): number | undefined {
  const m = value === undefined ? null : LENGTH.exec(value.trim());
  if (m === null) return undefined;
  const n = Number.parseFloat(m[1]!);
  const unit = m[2]!;
  if (unit === '') return n === 0 ? 0 : undefined;
  if (unit === 'vw' || unit === 'vh' || unit === 'vmin' || unit === 'vmax')
    return n <= -100 ? -Infinity : n >= 100 ? Infinity : undefined;
  const factor = PX[unit];
  return factor === undefined ? undefined : n * factor;
}

/** Whether a length is at least FAR to the left of (or above) where it starts. */
export const farNegative = (value: string | undefined): boolean => (lengthPx(value) ?? 0) <= -FAR;

/** The left margin a `margin` shorthand sets: its fourth, second or only value. */
function leftMargin(margin: string | undefined): string | undefined {
  if (margin === undefined) return undefined;
  const v = margin.split(/\s+/);
  return v[3] ?? v[1] ?? v[0];
}

/** rect(top right bottom left) with no area: nothing of the box survives the clip. */
function emptyRect(clip: string | undefined): boolean {
  const m = clip === undefined ? null : /^rect\(([^)]*)\)$/.exec(clip);
  if (m === null) return false;
  const [top, right, bottom, left] = m[1]!.split(/[\s,]+/).map(lengthPx);
  if ([top, right, bottom, left].includes(undefined)) return false;
  return bottom! <= top! || right! <= left!;
}

/** inset() that meets in the middle, or a circle/ellipse of radius zero. */
function emptyClipPath(path: string | undefined): boolean {
  if (path === undefined) return false;
  if (/^(?:circle|ellipse)\(\s*0(?:[a-z]+|%)?[\s)]/.test(path)) return true;
  const m = /^inset\(([^)]*?)(?:\s+round\b[^)]*)?\)$/.exec(path);
  if (m === null) return false;
  const v = m[1]!.trim().split(/\s+/);
  const pct = v.map((x) => (x.endsWith('%') ? Number.parseFloat(x) : Number.NaN));
  const [t, r = t, b = t, l = r] = pct;
  return t! + b! >= 100 || r! + l! >= 100;
}

/**
 * Whether this style puts the whole box where no reader sees it. Offsets need a positioned box and
 * clip an absolutely positioned one, as in CSS; a later `margin` shorthand is not weighed against an
 * earlier `margin-left` (either far negative counts).
 */
export function offScreen(s: ReadonlyMap<string, string>): boolean {
  const position = s.get('position');
  const positioned = position === 'absolute' || position === 'fixed' || position === 'relative';
  if (positioned && (farNegative(s.get('left')) || farNegative(s.get('top')))) return true;
  if (farNegative(s.get('margin-left') ?? leftMargin(s.get('margin')))) return true;
  if ((position === 'absolute' || position === 'fixed') && emptyRect(s.get('clip'))) return true;
  return emptyClipPath(s.get('clip-path'));
}
