// Plain-text rendering of an HTML body, for messages that carry no text/plain part and for
// reply extraction on HTML. A small forgiving tokenizer instead of a DOM: it never throws, runs
// in linear time, and keeps the one piece of structure reply extraction needs — blockquotes
// come out as "> " prefixed lines, the way a mail client would quote them in plain text.

const SKIP_CONTENT = new Set(['script', 'style', 'head', 'title', 'template', 'xml', 'svg', 'math', 'object', 'iframe', 'noembed', 'noframes']);
const RAW_TEXT = new Set(['script', 'style', 'xmp', 'textarea', 'title', 'noembed', 'noframes', 'iframe', 'plaintext']);
// The closing tag of each raw-text element, found case-insensitively from where the element opened
// (lower-casing the whole document for every such element made many <style> blocks quadratic).
const RAW_TEXT_END = new Map([...RAW_TEXT].map((name) => [name, new RegExp(`</${name}`, 'gi')]));
const BLOCK = new Set([
  'address', 'article', 'aside', 'center', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer',
  'form', 'header', 'li', 'main', 'nav', 'ol', 'section', 'table', 'tbody', 'thead', 'tfoot', 'tr', 'ul', 'caption',
]);
const PARAGRAPH = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote']);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ',
  copy: '©', reg: '®', trade: '™', hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“',
  rdquo: '”', laquo: '«', raquo: '»', bull: '•', middot: '·', euro: '€', pound: '£', yen: '¥', cent: '¢',
  sect: '§', para: '¶', deg: '°', times: '×', divide: '÷', shy: '', zwnj: '', zwj: '', lrm: '', rlm: '',
  eacute: 'é', egrave: 'è', ecirc: 'ê', agrave: 'à', aacute: 'á', acirc: 'â', auml: 'ä', ouml: 'ö', uuml: 'ü',
  Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß', ccedil: 'ç', ntilde: 'ñ', oacute: 'ó', iacute: 'í', uacute: 'ú',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});?/gi, (match, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(code) || code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\uFFFD';
      return String.fromCodePoint(code);
    }
    return NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()] ?? match;
  });
}

interface Line {
  depth: number;
  text: string;
}

class TextBuilder {
  private readonly lines: Line[] = [];
  private current: Line = { depth: 0, text: '' };
  private pendingBreaks = 0;
  depth = 0;

  /** Ask for at least `count` line breaks before the next text (1 = new line, 2 = blank line). */
  breakLine(count: number): void {
    if (this.current.text === '' && this.lines.length === 0) return;
    this.pendingBreaks = Math.max(this.pendingBreaks, count);
  }

  hardBreak(): void {
    this.flushBreaks();
    this.pushLine();
  }

  append(text: string, preformatted: boolean): void {
    if (text === '') return;
    if (!preformatted) {
      text = text.replace(/\s+/g, ' ');
      if (text === ' ') {
        if (this.pendingBreaks === 0 && this.current.text !== '' && !this.current.text.endsWith(' ')) this.addToLine(' ');
        return;
      }
      this.flushBreaks();
      if (this.current.text === '' || this.current.text.endsWith(' ')) text = text.replace(/^ /, '');
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
    const out = this.lines.map((l) => ('> '.repeat(l.depth) + l.text.replace(/[ \t]+$/, '')).replace(/ +$/, ''));
    return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  }

  private addToLine(text: string): void {
    if (this.current.text === '') this.current.depth = this.depth;
    this.current.text += text;
  }

  private flushBreaks(): void {
    const breaks = this.pendingBreaks;
    this.pendingBreaks = 0;
    if (breaks === 0) return;
    if (this.current.text !== '') this.pushLine();
    const last = this.lines[this.lines.length - 1];
    if (breaks >= 2 && last !== undefined && last.text !== '') this.lines.push({ depth: Math.min(last.depth, this.depth), text: '' });
  }

  private pushLine(): void {
    this.lines.push(this.current);
    this.current = { depth: this.depth, text: '' };
  }
}

const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/y;

export function htmlToText(html: string): string {
  const out = new TextBuilder();
  let skipUntil: string | null = null;
  let skipDepth = 0;
  let pre = 0;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt === -1 ? html.length : lt;
    if (textEnd > i && skipUntil === null) out.append(decodeEntities(html.slice(i, textEnd)), pre > 0);
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
    TAG.lastIndex = i;
    const m = TAG.exec(html);
    if (m === null) {
      if (skipUntil === null) out.append('<', pre > 0);
      i += 1;
      continue;
    }
    i = TAG.lastIndex;
    const closing = m[1] === '/';
    const name = (m[2] ?? '').toLowerCase();
    const selfClosing = (m[3] ?? '').trimEnd().endsWith('/');
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
      if (!SKIP_CONTENT.has(name)) out.append(name === 'plaintext' || name === 'xmp' ? body : decodeEntities(body), name === 'xmp' || name === 'plaintext');
      const close = end === -1 ? -1 : html.indexOf('>', end);
      i = close === -1 ? html.length : close + 1;
      continue;
    }
    if (!closing && !selfClosing && SKIP_CONTENT.has(name)) {
      skipUntil = name;
      skipDepth = 1;
      continue;
    }
    handleTag(out, name, closing);
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
