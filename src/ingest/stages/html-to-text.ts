// Plain-text rendering of an HTML body, for messages that carry no text/plain part and for
// reply extraction on HTML. A small forgiving tokenizer instead of a DOM: it never throws, runs
// in linear time, and keeps the one piece of structure reply extraction needs — blockquotes
// come out as "> " prefixed lines, the way a mail client would quote them in plain text.
import { decodeEntities } from './html-to-text-entities.js';
import { HiddenTracker } from './html-to-text-hidden.js';
import { TextBuilder } from './html-to-text-lines.js';

const SKIP_CONTENT = new Set([
  'script',
  'style',
  'head',
  'title',
  'template',
  'xml',
  'svg',
  'math',
  'object',
  'iframe',
  'noembed',
  'noframes',
]);
const RAW_TEXT = new Set([
  'script',
  'style',
  'xmp',
  'textarea',
  'title',
  'noembed',
  'noframes',
  'iframe',
  'plaintext',
]);
// The closing tag of each raw-text element, found case-insensitively from where the element opened
// (lower-casing the whole document for every such element made many <style> blocks quadratic).
const RAW_TEXT_END = new Map([...RAW_TEXT].map((name) => [name, new RegExp(`</${name}`, 'gi')]));
const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'center',
  'dd',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'header',
  'li',
  'main',
  'nav',
  'ol',
  'section',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'ul',
  'caption',
]);
const PARAGRAPH = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote']);

const GT = 0x3e;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

const isAsciiLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isNameChar = (c: number) =>
  isAsciiLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x3a || c === 0x2d;

interface Tag {
  closing: boolean;
  name: string;
  selfClosing: boolean;
  /** The text between the name and the '>'. */
  attrs: string;
  /** Index just past the tag's '>'. */
  end: number;
}

/**
 * Reads tags the way /<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/y did: a tag
 * runs to the first '>' outside quoted strings, and a '<' whose tag never closes (no '>', or a
 * quote left open) is text. The regex found that out by scanning to the end of the document from
 * every such '<', so `<a` repeated took quadratic time. Here a failed scan marks the stretches it
 * read outside quotes; a later scan that starts in or runs into a marked stretch would follow the
 * same path to the same failure, so it stops there. Scans that succeed lie before the next start
 * and are never revisited, so every character is read a bounded number of times.
 */
/** Whether the quote at `j` opens an attribute value: only one after '=' (white space between
 *  allowed) does. Elsewhere, as in `c"=""` or `b=x"y`, HTML reads it as a character of the name or
 *  of an unquoted value; taken for a value quote it swallowed the rest of the mail. Looks only at
 *  the document before `j`, never at where a scan began, so a failed scan's marks stay valid. */
function opensValue(html: string, j: number): boolean {
  let k = j - 1;
  while (k >= 0 && isSpace(html.charCodeAt(k))) k--;
  return k >= 0 && html.charCodeAt(k) === 0x3d;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;

class TagReader {
  private failed: Uint32Array | null = null;
  private readonly lastQuote: Record<number, number>;
  private readonly path: number[] = [];

  constructor(private readonly html: string) {
    this.lastQuote = { [DQUOTE]: html.lastIndexOf('"'), [SQUOTE]: html.lastIndexOf("'") };
  }

  /** The tag starting at the '<' at `lt`, or null when it is not one. Calls must come in increasing `lt`. */
  read(lt: number): Tag | null {
    const html = this.html;
    let i = lt + 1;
    const closing = html.charCodeAt(i) === 0x2f;
    if (closing) i++;
    if (!isAsciiLetter(html.charCodeAt(i))) return null;
    const nameStart = i;
    while (isNameChar(html.charCodeAt(i))) i++;
    const gt = this.findEnd(i);
    if (gt === -1) return null;
    const name = html.slice(nameStart, i).toLowerCase();
    const attrs = html.slice(i, gt);
    return { closing, name, attrs, selfClosing: attrs.trimEnd().endsWith('/'), end: gt + 1 };
  }

  /** Index of the first '>' outside quotes from `from`, or -1. */
  private findEnd(from: number): number {
    const html = this.html;
    const n = html.length;
    const path = this.path;
    path.length = 0;
    let x = from;
    for (;;) {
      if (this.isFailed(x)) return this.fail();
      let j = x;
      let c = 0;
      for (; j < n; j++) {
        c = html.charCodeAt(j);
        if (c === GT || ((c === DQUOTE || c === SQUOTE) && opensValue(html, j))) break;
      }
      path.push(x, j);
      if (j >= n) return this.fail();
      if (c === GT) return j;
      if (j >= this.lastQuote[c]!) return this.fail();
      x = html.indexOf(c === DQUOTE ? '"' : "'", j + 1) + 1;
    }
  }

  private isFailed(x: number): boolean {
    return (
      this.failed !== null &&
      x < this.html.length &&
      (this.failed[x >>> 5]! & (1 << (x & 31))) !== 0
    );
  }

  private fail(): -1 {
    const n = this.html.length;
    const bits = (this.failed ??= new Uint32Array((n >>> 5) + 1));
    const path = this.path;
    for (let k = 0; k < path.length; k += 2) {
      for (let x = path[k]!, to = Math.min(path[k + 1]!, n - 1); x <= to; x++)
        bits[x >>> 5] = bits[x >>> 5]! | (1 << (x & 31));
    }
    return -1;
  }
}

export function htmlToText(html: string): string {
  const out = new TextBuilder();
  const tags = new TagReader(html);
  const hidden = new HiddenTracker();
  let skipUntil: string | null = null;
  let skipDepth = 0;
  let pre = 0;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt === -1 ? html.length : lt;
    if (textEnd > i && skipUntil === null && !hidden.hidden)
      out.append(decodeEntities(html.slice(i, textEnd)), pre > 0);
    if (lt === -1) break;
    i = lt;
    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    if (html.startsWith('<!', i) || html.startsWith('<?', i)) {
      const end = html.indexOf('>', i);
      i = end === -1 ? html.length : end + 1;
      continue;
    }
    const tag = tags.read(i);
    if (tag === null) {
      if (skipUntil === null && !hidden.hidden) out.append('<', pre > 0);
      i += 1;
      continue;
    }
    i = tag.end;
    const { closing, name, selfClosing } = tag;
    if (skipUntil !== null) {
      if (name === skipUntil) skipDepth += closing ? -1 : selfClosing ? 0 : 1;
      if (skipDepth <= 0) skipUntil = null;
      continue;
    }
    if (!closing && RAW_TEXT.has(name)) {
      // Raw-text elements end only at their own closing tag; markup inside is text, not tags.
      const endTag = RAW_TEXT_END.get(name)!;
      endTag.lastIndex = i;
      const end = endTag.exec(html)?.index ?? -1;
      const body = html.slice(i, end === -1 ? html.length : end);
      if (!SKIP_CONTENT.has(name) && !hidden.hidden)
        out.append(
          name === 'plaintext' || name === 'xmp' ? body : decodeEntities(body),
          name === 'xmp' || name === 'plaintext',
        );
      const close = end === -1 ? -1 : html.indexOf('>', end);
      i = close === -1 ? html.length : close + 1;
      continue;
    }
    if (!closing && !selfClosing && SKIP_CONTENT.has(name)) {
      skipUntil = name;
      skipDepth = 1;
      continue;
    }
    // A hidden element makes no line breaks or bullets either: it has no box at all.
    const tagHidden = closing ? hidden.closeTag(name) : hidden.openTag(name, tag.attrs);
    if (!tagHidden) handleTag(out, name, closing);
    if (name === 'pre') pre = Math.max(0, pre + (closing ? -1 : 1));
  }
  return out.finish();
}

function handleTag(out: TextBuilder, name: string, closing: boolean): void {
  if (name === 'br') {
    out.hardBreak();
  } else if (name === 'blockquote') {
    out.breakLine(1);
    out.depth = Math.max(0, out.depth + (closing ? -1 : 1));
  } else if (name === 'hr') {
    out.breakLine(1);
    out.append('________________________________', true);
    out.breakLine(1);
  } else if (PARAGRAPH.has(name)) {
    out.breakLine(2);
  } else if (BLOCK.has(name)) {
    out.breakLine(1);
    if (name === 'li' && !closing) out.append('- ', true);
  } else if ((name === 'td' || name === 'th') && closing) {
    out.append(' ', false);
  }
}
