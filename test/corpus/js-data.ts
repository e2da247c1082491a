// Reads the data expressions of a JavaScript test file (postal-mime's inline test mail) without
// running them: string and template literals, numbers, `+`, `.repeat(n)`, `.trim()`,
// `[...].join(sep)`, `Buffer.from(x[, encoding])`, `Buffer.concat([...])` and names bound earlier
// with `const`. Anything else is not data and makes the reader give up (the case is skipped).
// js-literal.ts is the reply scorers' smaller reader: joined string literals and joining helpers, no bytes.

/** A value a test builds: text or bytes. */
export type JsValue = string | Buffer | number | JsValue[];

export class JsUnreadable extends Error {}

const ENCODINGS = new Set(['base64', 'utf8', 'utf-8', 'binary', 'latin1', 'hex', 'ascii']);

export class JsReader {
  pos: number;
  constructor(
    private readonly src: string,
    start: number,
    private readonly env: Map<string, JsValue> = new Map(),
  ) {
    this.pos = start;
  }

  private fail(): never {
    throw new JsUnreadable(`not data at ${this.pos}`);
  }

  private skip(): void {
    for (;;) {
      const m = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(
        this.src.slice(this.pos, this.pos + 4096),
      );
      if (!m || m[0].length === 0) return;
      this.pos += m[0].length;
    }
  }

  private eat(token: string): boolean {
    this.skip();
    if (this.src.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  private expect(token: string): void {
    if (!this.eat(token)) this.fail();
  }

  /** An expression: terms joined by `+`. */
  value(): JsValue {
    let v = this.postfix();
    while (this.eat('+')) {
      const w = this.postfix();
      if (typeof v === 'number' && typeof w === 'number') v = v + w;
      else if (typeof v === 'string' || typeof w === 'string') v = text(v) + text(w);
      else this.fail();
    }
    return v;
  }

  private postfix(): JsValue {
    let v = this.primary();
    for (;;) {
      if (this.eat('.repeat(')) {
        const n = this.value();
        this.expect(')');
        if (typeof v !== 'string' || typeof n !== 'number' || n > 10_000_000) this.fail();
        v = v.repeat(n);
      } else if (this.eat('.join(')) {
        const sep = this.value();
        this.expect(')');
        if (!Array.isArray(v) || typeof sep !== 'string') this.fail();
        v = v.map(text).join(sep);
      } else if (this.eat('.trim()')) {
        if (typeof v !== 'string') this.fail();
        v = v.trim();
      } else if (this.eat('.length')) {
        if (typeof v !== 'string' && !Buffer.isBuffer(v) && !Array.isArray(v)) this.fail();
        v = v.length;
      } else return v;
    }
  }

  private primary(): JsValue {
    this.skip();
    const c = this.src[this.pos];
    if (c === "'" || c === '"') return this.quoted(c);
    if (c === '`') return this.template();
    if (c === '(') {
      this.pos++;
      const v = this.value();
      this.expect(')');
      return v;
    }
    if (c === '[') {
      this.pos++;
      const items: JsValue[] = [];
      while (!this.eat(']')) {
        items.push(this.value());
        if (!this.eat(',')) {
          this.expect(']');
          break;
        }
      }
      return items;
    }
    const num = /^\d+/.exec(this.src.slice(this.pos, this.pos + 20));
    if (num) {
      this.pos += num[0].length;
      return Number(num[0]);
    }
    if (this.eat('Buffer.from(')) {
      const v = this.value();
      let enc = 'utf8';
      if (this.eat(',')) {
        const e = this.value();
        if (typeof e !== 'string' || !ENCODINGS.has(e.toLowerCase())) this.fail();
        enc = e.toLowerCase();
      }
      this.expect(')');
      if (Buffer.isBuffer(v)) return v;
      if (Array.isArray(v) && v.every((x) => typeof x === 'number'))
        return Buffer.from(v as number[]);
      if (typeof v !== 'string') this.fail();
      return Buffer.from(v, enc as BufferEncoding);
    }
    if (this.eat('Buffer.concat(')) {
      const v = this.value();
      this.expect(')');
      if (!Array.isArray(v)) this.fail();
      return Buffer.concat(v.map((x) => (Buffer.isBuffer(x) ? x : this.fail())));
    }
    const name = /^[A-Za-z_$][\w$]*/.exec(this.src.slice(this.pos, this.pos + 100));
    if (name && this.env.has(name[0])) {
      this.pos += name[0].length;
      return this.env.get(name[0])!;
    }
    return this.fail();
  }

  private escape(): string {
    const c = this.src[this.pos++];
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '0':
        return '\0';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'x': {
        const h = this.src.slice(this.pos, this.pos + 2);
        this.pos += 2;
        return String.fromCharCode(parseInt(h, 16));
      }
      case 'u': {
        if (this.src[this.pos] === '{') {
          const end = this.src.indexOf('}', this.pos);
          const cp = parseInt(this.src.slice(this.pos + 1, end), 16);
          this.pos = end + 1;
          return String.fromCodePoint(cp);
        }
        const h = this.src.slice(this.pos, this.pos + 4);
        this.pos += 4;
        return String.fromCharCode(parseInt(h, 16));
      }
      case '\r':
        if (this.src[this.pos] === '\n') this.pos++;
        return '';
      case '\n':
        return '';
      default:
        return c ?? this.fail();
    }
  }

  private quoted(q: string): string {
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.src[this.pos++];
      if (c === undefined || c === '\n') this.fail();
      if (c === q) return out;
      out += c === '\\' ? this.escape() : c;
    }
  }

  private template(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.src[this.pos++];
      if (c === undefined) this.fail();
      if (c === '`') return out;
      if (c === '\\') out += this.escape();
      else if (c === '$' && this.src[this.pos] === '{') {
        this.pos++;
        const v = this.value();
        this.expect('}');
        out += text(v);
      } else if (c === '\r' && this.src[this.pos] === '\n') {
        // A template's line ends are LF whatever the file's are.
      } else out += c;
    }
  }
}

/** A value as text: bytes as UTF-8 (as JavaScript would print a Buffer in a string). */
export function text(v: JsValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return v.map(text).join(',');
}

/**
 * The value of the expression at `start` when it is plain data and ends there (at `;`, `,`, `)`,
 * `]`, `}` or a line end); null otherwise, so `Buffer.from(x).toString(...)` is not read as `x`.
 */
export function readJs(src: string, start: number, env?: Map<string, JsValue>): JsValue | null {
  try {
    const reader = new JsReader(src, start, env);
    const v = reader.value();
    return /^[ \t]*(?:[;,)\]}\n\r]|\/\/|$)/.test(src.slice(reader.pos, reader.pos + 3)) ? v : null;
  } catch (e) {
    if (e instanceof JsUnreadable || e instanceof RangeError) return null;
    throw e;
  }
}
