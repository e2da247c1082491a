// Reads the Python literals other projects keep their test expectations in (pytest parameter
// lists): strings in every quoting form with implicit concatenation, tuples, lists, dicts, True,
// False, None and numbers. Anything else (a call, a name) is an error: the scorer skips that case.

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

export class PyReader {
  private i = 0;
  constructor(private readonly src: string) {}

  get offset(): number {
    return this.i;
  }

  /** Skips whitespace, newlines and comments. */
  skip(): void {
    for (;;) {
      const m = /^(?:\s+|#[^\n]*|\\\n)/.exec(this.src.slice(this.i, this.i + 2000));
      if (!m || m[0].length === 0) return;
      this.i += m[0].length;
    }
  }

  private peek(): string {
    return this.src[this.i] ?? '';
  }

  /** One string token (no concatenation) starting at the cursor, or null. */
  private stringToken(): string | null {
    const m = /^([rRbBuUfF]{0,2})("""|'''|"|')/.exec(this.src.slice(this.i, this.i + 5));
    if (!m) return null;
    const raw = /r/i.test(m[1]!);
    const q = m[2]!;
    this.i += m[0].length;
    let out = '';
    for (;;) {
      if (this.i >= this.src.length) throw new Error('unterminated string');
      if (this.src.startsWith(q, this.i)) {
        this.i += q.length;
        return out;
      }
      const c = this.src[this.i]!;
      if (c === '\\') {
        const n = this.src[this.i + 1] ?? '';
        if (raw) {
          out += c + n;
        } else if (n === '\n') {
          // line continuation inside a string
        } else if (n === 'x' || n === 'u' || n === 'U') {
          const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
          out += String.fromCodePoint(parseInt(this.src.slice(this.i + 2, this.i + 2 + len), 16));
          this.i += len;
        } else out += ESCAPES[n] ?? (/['"\\]/.test(n) ? n : `\\${n}`);
        this.i += 2;
        continue;
      }
      if (c === '\n' && q.length === 1) throw new Error('newline in string');
      out += c;
      this.i++;
    }
  }

  value(): PyValue {
    this.skip();
    const first = this.stringToken();
    if (first !== null) {
      let s = first;
      for (;;) {
        const save = this.i;
        this.skip();
        const next = this.stringToken();
        if (next === null) {
          this.i = save;
          return s;
        }
        s += next;
      }
    }
    const c = this.peek();
    if (c === '(' || c === '[') return this.sequence(c === '(' ? ')' : ']');
    if (c === '{') return this.dict();
    const m = /^(True|False|None|-?\d+(?:\.\d+)?)\b/.exec(this.src.slice(this.i, this.i + 40));
    if (!m) throw new Error(`unsupported literal at ${this.i}`);
    this.i += m[0].length;
    return m[1] === 'True'
      ? true
      : m[1] === 'False'
        ? false
        : m[1] === 'None'
          ? null
          : Number(m[1]);
  }

  private sequence(close: string): PyValue {
    this.i++;
    const items: PyValue[] = [];
    let comma = false;
    for (;;) {
      this.skip();
      if (this.peek() === close) {
        this.i++;
        // "(x)" is x itself; "(x,)" and "[x]" are sequences.
        return close === ')' && items.length === 1 && !comma ? items[0]! : items;
      }
      items.push(this.value());
      this.skip();
      comma = this.peek() === ',';
      if (comma) this.i++;
      else if (this.peek() !== close) throw new Error(`expected ${close} at ${this.i}`);
    }
  }

  private dict(): PyValue {
    this.i++;
    const out: Record<string, PyValue> = {};
    for (;;) {
      this.skip();
      if (this.peek() === '}') {
        this.i++;
        return out;
      }
      const key = this.value();
      this.skip();
      if (this.peek() !== ':') throw new Error(`expected : at ${this.i}`);
      this.i++;
      out[String(key)] = this.value();
      this.skip();
      if (this.peek() === ',') this.i++;
    }
  }
}

/** The parameter list of the first `@pytest.mark.parametrize(names, [...])` in a test file. */
export function pytestParams(source: string): PyValue[] {
  const at = source.indexOf('@pytest.mark.parametrize(');
  if (at === -1) return [];
  const r = new PyReader(source.slice(at + '@pytest.mark.parametrize('.length));
  r.value(); // the names
  r.skip();
  const rest = source.slice(at + '@pytest.mark.parametrize('.length + r.offset);
  const list = new PyReader(rest.replace(/^\s*,/, '')).value();
  return Array.isArray(list) ? list : [];
}
