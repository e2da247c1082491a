// Reads the PHP array literals that PHP mail parsers keep their test expectations in (PHPUnit data
// providers, `runEmailTest('m0001', [...])` calls): strings, numbers, booleans, null, `array(...)`
// and `[...]` with or without `key =>`. Anything else (a variable, a `new DateTime(...)`) is skipped
// to the next comma and read as undefined: the scorers only use the plain values.

export type PhpValue = string | number | boolean | null | undefined | PhpArray;
/** A PHP array: its values in order, and the keyed ones also by key. */
export interface PhpArray {
  list: PhpValue[];
  keys: Map<string, PhpValue>;
}

const DQ_ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  $: '$',
  '"': '"',
  '\\': '\\',
};

export class PhpReader {
  constructor(
    private readonly src: string,
    public pos = 0,
  ) {}

  private skipSpace(): void {
    for (;;) {
      const rest = this.src.slice(this.pos, this.pos + 2);
      if (/^\s/.test(rest)) this.pos++;
      else if (rest === '//' || rest[0] === '#') this.pos = this.src.indexOf('\n', this.pos) >>> 0;
      else if (rest === '/*') this.pos = this.src.indexOf('*/', this.pos) + 2;
      else return;
    }
  }

  private peek(s: string): boolean {
    this.skipSpace();
    return this.src.startsWith(s, this.pos);
  }

  private string(): string {
    const q = this.src[this.pos++]!;
    let out = '';
    while (this.pos < this.src.length && this.src[this.pos] !== q) {
      const c = this.src[this.pos++]!;
      if (c !== '\\') out += c;
      else {
        const n = this.src[this.pos++]!;
        if (q === "'") out += n === "'" || n === '\\' ? n : `\\${n}`;
        else out += DQ_ESCAPES[n] ?? `\\${n}`;
      }
    }
    this.pos++;
    return out;
  }

  /** Skips one expression this reader does not model, up to the next top-level `,`, `]` or `)`. */
  private skipExpression(): undefined {
    let depth = 0;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === "'" || c === '"') {
        this.string();
        continue;
      }
      if (c === '(' || c === '[') depth++;
      else if (c === ')' || c === ']') {
        if (depth === 0) return undefined;
        depth--;
      } else if (c === ',' && depth === 0) return undefined;
      this.pos++;
    }
    return undefined;
  }

  private array(close: string): PhpArray {
    const out: PhpArray = { list: [], keys: new Map() };
    while (!this.peek(close)) {
      const first = this.value();
      let v = first;
      if (this.peek('=>')) {
        this.pos += 2;
        v = this.value();
        out.keys.set(String(first), v);
      }
      out.list.push(v);
      if (this.peek(',')) this.pos++;
      else if (!this.peek(close)) this.skipExpression();
      if (this.pos >= this.src.length) break;
    }
    this.pos += close.length;
    return out;
  }

  value(): PhpValue {
    this.skipSpace();
    const rest = this.src.slice(this.pos, this.pos + 40);
    let v: PhpValue;
    if (rest[0] === "'" || rest[0] === '"') v = this.string();
    else if (/^array\s*\(/i.test(rest)) {
      this.pos = this.src.indexOf('(', this.pos) + 1;
      v = this.array(')');
    } else if (rest[0] === '[') {
      this.pos++;
      v = this.array(']');
    } else {
      const m = /^(-?\d+(?:\.\d+)?|true|false|null)\b/i.exec(rest);
      if (!m) return this.skipExpression();
      this.pos += m[0].length;
      const w = m[0].toLowerCase();
      v = w === 'true' ? true : w === 'false' ? false : w === 'null' ? null : Number(w);
    }
    // String concatenation ('a' . "\n") is read as one string.
    while (typeof v === 'string' && this.peek('.') && !/^\.\d/.test(this.src.slice(this.pos))) {
      this.pos++;
      const next = this.value();
      v += typeof next === 'string' ? next : '';
    }
    return v;
  }
}

export const phpKey = (a: PhpValue, key: string): PhpValue =>
  a && typeof a === 'object' ? a.keys.get(key) : undefined;
