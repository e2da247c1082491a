// Which text htmlToText leaves out because a mail client would not show it (html-hidden.ts has the
// rule). A stack of the open elements with their hidden state, kept the way htmlparser2 — the
// sanitiser's parser — keeps its own: void elements never open, a start tag closes the elements it
// implies the end of, an end tag closes up to its nearest open match and a stray one changes
// nothing. Counting open elements per name keeps each step O(1) amortised, so deep or broken markup
// stays linear.
import { OPEN_IMPLIES_CLOSE, VOID } from './html-depth.js';
import {
  afterLineBreak,
  elementState,
  type HiddenAttrs,
  type HiddenState,
  hidesText,
  MAY_HIDE,
  VISIBLE,
} from './html-hidden.js';
import { decodeEntities } from './html-to-text-entities.js';
import { keepsLink } from './sanitize-html.js';

// Attributes in a start tag: a name, then optionally `=` and a quoted or unquoted value.
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

/** The attributes html-hidden.ts reads, from a tag's attribute text (style entities decoded). */
function readAttributes(attrs: string): HiddenAttrs {
  let href: string | undefined;
  let dataCid: string | undefined;
  const out: HiddenAttrs = {
    style: undefined,
    hidden: false,
    color: undefined,
    bgcolor: undefined,
    background: undefined,
    href: false,
  };
  const seen = new Set<string>();
  ATTRIBUTE.lastIndex = 0;
  for (let m = ATTRIBUTE.exec(attrs); m !== null; m = ATTRIBUTE.exec(attrs)) {
    const name = m[1]!.toLowerCase();
    // The first of two same-named attributes counts, as in a browser.
    if (seen.has(name)) continue;
    seen.add(name);
    const value = () => decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
    if (name === 'style') out.style = value();
    else if (name === 'hidden') out.hidden = true;
    else if (name === 'href') href = value();
    else if (name === 'data-cid') dataCid = value();
    else if (name === 'color' || name === 'bgcolor' || name === 'background') out[name] = value();
    // The sanitiser's mark of a background image it dropped (sanitize-background.ts).
    else if (name === 'data-inlet-backdrop') out.background ??= 'x';
  }
  out.href = keepsLink(href, dataCid);
  return out;
}

export class HiddenTracker {
  private readonly names: string[] = [];
  private readonly states: HiddenState[] = [VISIBLE];
  private readonly open = new Map<string, number>();

  /** Whether text at this point is hidden. */
  get hidden(): boolean {
    return hidesText(this.states[this.states.length - 1]!);
  }

  /** Opens an element; returns whether the element itself is hidden (its breaks and bullets too). */
  openTag(name: string, attrs: string): boolean {
    const implied = OPEN_IMPLIES_CLOSE.get(name);
    if (implied !== undefined)
      while (this.names.length > 0 && implied.has(this.names[this.names.length - 1]!)) this.pop();
    if (name === 'br') this.lineBreak();
    const parent = this.states[this.states.length - 1]!;
    let state = parent;
    if (parent !== VISIBLE || MAY_HIDE.test(attrs))
      state = elementState(parent, name, readAttributes(attrs));
    if (VOID.has(name)) return hidesText(state);
    this.names.push(name);
    this.states.push(state);
    this.open.set(name, (this.open.get(name) ?? 0) + 1);
    return hidesText(state);
  }

  /** Closes an element; returns whether the element it closed was hidden. */
  closeTag(name: string): boolean {
    if (VOID.has(name) || (this.open.get(name) ?? 0) === 0) return this.hidden;
    for (;;) {
      const hidden = this.hidden;
      if (this.pop() === name) return hidden;
    }
  }

  /** A line break ends a far text-indent in every open element it was inherited through. */
  private lineBreak(): void {
    // Each element loses the indent at most once, so this stays linear however often it runs.
    for (let i = this.states.length - 1; i > 0; i--) {
      const after = afterLineBreak(this.states[i]!);
      if (after === this.states[i]) break;
      this.states[i] = after;
    }
  }

  private pop(): string {
    const name = this.names.pop()!;
    this.states.pop();
    this.open.set(name, this.open.get(name)! - 1);
    return name;
  }
}
