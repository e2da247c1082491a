// The lines of one text as reply extraction reads them: which are '>' quotes, whether a quote
// block follows, and each line's cleaned text, verb and header label computed once. Split from
// extract-reply.ts.
import {
  hasVerb,
  type HeaderField,
  headerFieldOfClean,
  holdsReplyAboveMarker,
  isReplyAboveMarker,
} from './extract-reply-vocab.js';
import { clean, isBlank } from './reply-signature.js';

// '>' quotes, and the '|' some clients quote forwards with; a line that also ends in '|' is a table row.
// Supercite and Gnus put the sender's initials in front of the '>' ("JD> "): a short word, then
// a space or another '>'.
// The initials test is a Unicode one and runs only when a '>' stands near the start (most lines
// have none there): this is asked of every line several times.
const QUOTE_MARK = /^\s*(?:>|\|(?!.*\|\s*$))/;
const INITIALS_MARK = /^\s*\p{L}{1,4}>(?=[\s>]|$)/u;
export const isQuoteLine = (line: string): boolean => {
  if (QUOTE_MARK.test(line)) return true;
  const gt = line.indexOf('>');
  return gt > 0 && gt <= 24 && INITIALS_MARK.test(line);
};

// A client that HTML-escaped its plain text sends its quote markers as "&gt;" ("&gt; Please
// restart it."), and its attributions as "Jane &lt;jane@example.com&gt;": it escaped the whole
// text. When a line opens with such a marker, the text is read (and its reply given) unescaped,
// so its quote and attribution are found as in any other mail and the person's "&amp;" is an "&".
const ESCAPED_MARK = /^[ \t]*&gt;/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' };
export const withEscapedQuoteMarks = (lines: string[]): string[] =>
  lines.some((line) => ESCAPED_MARK.test(line))
    ? lines.map((line) =>
        line.includes('&')
          ? line.replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) => ENTITIES[name] ?? '')
          : line,
      )
    : lines;

/**
 * The lines of one text with what the scan asks of each line computed once: every line is looked
 * at again as part of the up to four wrapped-attribution windows and eight-line header windows
 * around it, so without this each line was cleaned and regex-tested several times.
 */
export class Lines {
  private readonly cleaned: (string | undefined)[] = [];
  private readonly verb: (boolean | undefined)[] = [];
  private readonly field: (HeaderField | null | undefined)[] = [];
  private readonly marker: (boolean | undefined)[] = [];
  constructor(readonly raw: string[]) {}

  get length(): number {
    return this.raw.length;
  }

  at(k: number): string {
    return this.raw[k] ?? '';
  }

  clean(k: number): string {
    return (this.cleaned[k] ??= clean(this.at(k)));
  }

  hasVerb(k: number): boolean {
    return (this.verb[k] ??= hasVerb(this.clean(k)));
  }

  /** The cleaned line holds a "reply above this line" marker's words (a line up to 600 long). */
  holdsMarker(k: number): boolean {
    return (this.marker[k] ??= this.clean(k).length <= 600 && holdsReplyAboveMarker(this.clean(k)));
  }

  /** The cleaned line is such a marker: short enough to be nothing else. */
  isMarker(k: number): boolean {
    return this.clean(k).length <= 200 && this.holdsMarker(k) && isReplyAboveMarker(this.clean(k));
  }

  headerField(k: number): HeaderField | null {
    const known = this.field[k];
    return known !== undefined ? known : (this.field[k] = headerFieldOfClean(this.clean(k)));
  }
}

/** Markdown or rendered emphasis around a line ("*On …, Jane wrote:*") taken off. */
export const unwrap = (text: string): string =>
  text.startsWith('*') || text.startsWith('_')
    ? text.replace(/^[*_]{1,2}(?=\S)/, '').replace(/(?<=\S)[*_]{1,2}$/, '')
    : text;

export function quoteFollows(lines: string[], from: number): boolean {
  for (let k = from; k < Math.min(lines.length, from + 3); k++) {
    const line = lines[k] ?? '';
    if (isQuoteLine(line)) return true;
    if (!isBlank(line)) return false;
  }
  return false;
}
