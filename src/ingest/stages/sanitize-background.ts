// What the sanitiser keeps of an element's background, so that the hidden-text rule
// (html-hidden.ts) reads the same background in the sanitised HTML as in the mail: the output is
// sanitised again (a fixed point) and its text must match the mail's. The allowlist drops the
// `background` shorthand and every image, so a shorthand's colour is kept as `background-color`,
// and an element that painted an image is marked: text on it stays "on a background nobody can
// tell" rather than being judged against the fallback colour the agent's view shows instead.
import type sanitizeHtml from 'sanitize-html';

import { backgroundShorthand } from './html-hidden-colour.js';

/** Marks an element that painted a background image; a mail that sets it only keeps text shown. */
export const IMAGE_BACKGROUND_MARK = 'data-inlet-backdrop';

/** The background declarations of an inline style, lower-cased, last one of each winning. */
function backgroundOf(style: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const decl of style.split(';')) {
    const colon = decl.indexOf(':');
    const prop = decl.slice(0, colon).trim().toLowerCase();
    if (colon !== -1 && prop.startsWith('background'))
      out.set(
        prop,
        decl
          .slice(colon + 1)
          .replace(/!\s*important\s*$/i, '')
          .trim()
          .toLowerCase(),
      );
  }
  return out;
}

/** `attribs` with the background facts above made explicit (a new object only when needed). */
export function keepBackground(attribs: sanitizeHtml.Attributes): sanitizeHtml.Attributes {
  const style = attribs.style ?? '';
  if (!/background/i.test(style) && (attribs.background ?? '').trim() === '') return attribs;
  const decls = backgroundOf(style);
  const image = decls.get('background-image');
  const shorthand = decls.get('background');
  const painted = shorthand === undefined ? undefined : backgroundShorthand(shorthand);
  const out = { ...attribs };
  if (
    (attribs.background ?? '').trim() !== '' ||
    (image !== undefined && image !== 'none') ||
    painted === 'image'
  )
    out[IMAGE_BACKGROUND_MARK] = '1';
  else if (painted !== undefined && !decls.has('background-color')) {
    const [r, g, b, a] = painted;
    out.style = `${style};background-color:rgba(${[r, g, b].map(Math.round).join(',')},${a})`;
  }
  return out;
}
