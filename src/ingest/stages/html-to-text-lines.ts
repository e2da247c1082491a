// The output side of htmlToText: text collected into lines with their blockquote depth, blank lines
// collapsed, quotes rendered as "> " prefixes.
interface Line {
  depth: number;
  text: string;
}

/**
 * Quote levels rendered as "> " prefixes. Mail clients quote a few levels deep; without a cap,
 * every line of a body nested in thousands of blockquotes would carry thousands of prefixes, an
 * output quadratic in the input.
 */
export const MAX_QUOTE_DEPTH = 64;

const SPACE = 0x20;
const TAB = 0x09;

/** `s` without trailing spaces and tabs; a loop, since /[ \t]+$/ retries from every space in a long run. */
function trimEndBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === SPACE || s.charCodeAt(end - 1) === TAB)) end--;
  return end === s.length ? s : s.slice(0, end);
}

// Characters that take no space: soft hyphen, combining grapheme joiner, zero-width space, non-joiner
// and joiner, word joiner, byte-order mark. Between two letters or emoji they shape what is shown
// (ZWNJ in Persian, ZWJ in emoji sequences); next to white space or to each other they join
// nothing, and that is how preheader padding is built (`&zwnj;&nbsp;` or `&#847;&zwnj;` repeated
// hundreds of times to push the body out of the inbox preview). Such runs read as white space.
// (U+034F is written outside the classes: a combining mark inside one reads as joined to the last.)
const ZERO_WIDTH = /[\u00ad\u200b-\u200d\u2060\ufeff]|\u034f/;
const BLANK_RUN = /(?:[\s\u00ad\u200b-\u200d\u2060\ufeff]|\u034f)+/g;
const collapseBlankRun = (run: string): string =>
  run.length === 1 && ZERO_WIDTH.test(run)
    ? run
    : ZERO_WIDTH.test(run) && !/\s/.test(run)
      ? ''
      : ' ';

/** Non-preformatted text with every run of white space (and padding around it) as one space. */
const collapseBlanks = (text: string): string =>
  ZERO_WIDTH.test(text) ? text.replace(BLANK_RUN, collapseBlankRun) : text.replace(/\s+/g, ' ');

export class TextBuilder {
  private readonly lines: Line[] = [];
  // The line being built, as pieces joined once when it ends: appending to one string and asking
  // it endsWith() flattens the whole line on every piece (quadratic on a long line of inline tags).
  private parts: string[] = [];
  private partsLength = 0;
  private lastChar = 0;
  private lineDepth = 0;
  private pendingBreaks = 0;
  depth = 0;

  /** Ask for at least `count` line breaks before the next text (1 = new line, 2 = blank line). */
  breakLine(count: number): void {
    if (this.partsLength === 0 && this.lines.length === 0) return;
    this.pendingBreaks = Math.max(this.pendingBreaks, count);
  }

  hardBreak(): void {
    this.flushBreaks();
    this.pushLine();
  }

  append(text: string, preformatted: boolean): void {
    if (text === '') return;
    if (!preformatted) {
      text = collapseBlanks(text);
      if (text === ' ') {
        if (this.pendingBreaks === 0 && this.partsLength > 0 && this.lastChar !== SPACE)
          this.addToLine(' ');
        return;
      }
      this.flushBreaks();
      if ((this.partsLength === 0 || this.lastChar === SPACE) && text.charCodeAt(0) === SPACE)
        text = text.slice(1);
      this.addToLine(text);
      return;
    }
    this.flushBreaks();
    const parts = text.split(/\r?\n/);
    parts.forEach((part, i) => {
      if (i > 0) this.pushLine();
      this.addToLine(part);
    });
  }

  finish(): string {
    this.pushLine();
    const out = this.lines.map((l) => {
      const text = trimEndBlanks(l.text);
      const depth = Math.min(l.depth, MAX_QUOTE_DEPTH);
      // A quoted blank line keeps its markers but not the space after the last one.
      return text === '' ? '> '.repeat(depth).slice(0, -1) : '> '.repeat(depth) + text;
    });
    return out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  }

  private addToLine(text: string): void {
    if (this.partsLength === 0) this.lineDepth = this.depth;
    if (text === '') return;
    this.parts.push(text);
    this.partsLength += text.length;
    this.lastChar = text.charCodeAt(text.length - 1);
  }

  private flushBreaks(): void {
    const breaks = this.pendingBreaks;
    this.pendingBreaks = 0;
    if (breaks === 0) return;
    if (this.partsLength > 0) this.pushLine();
    const last = this.lines[this.lines.length - 1];
    if (breaks >= 2 && last !== undefined && last.text !== '')
      this.lines.push({ depth: Math.min(last.depth, this.depth), text: '' });
  }

  private pushLine(): void {
    this.lines.push({ depth: this.lineDepth, text: this.parts.join('') });
    this.parts = [];
    this.partsLength = 0;
    this.lastChar = 0;
    this.lineDepth = this.depth;
  }
}
