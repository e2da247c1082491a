// A reader for the string expressions JavaScript and Java tests write their mail in: quoted
// literals ('…' or "…", with \n, \t, \xHH, \uHHHH and line-continuation escapes) joined by `+`,
// names bound earlier, and calls of a joining helper such as GELAM's j(a, b, …) (its lines joined
// by "\n"). Anything else (a method call on a string, a template) reads as null: the case is
// skipped rather than guessed.

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v' };

export class JsReader {
  pos: number;

  constructor(
    private readonly src: string,
    at = 0,
    /** Names whose string value is known (`var longBody = '…';`). */
    readonly names = new Map<string, string>(),
    /** Helper functions that join their arguments with a separator: name → separator. */
    readonly joiners = new Map<string, string>(),
  ) {
    this.pos = at;
  }

  /** Skips blank space and comments. */
  skip(): void {
    for (;;) {
      const m = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(this.src.slice(this.pos));
      if (!m) return;
      this.pos += m[0].length;
    }
  }

  /** Consumes `token` (after blank space) if it is next. */
  eat(token: string): boolean {
    this.skip();
    if (!this.src.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  /** One quoted literal, or null (nothing consumed). */
  literal(): string | null {
    this.skip();
    const q = this.src[this.pos];
    if (q !== "'" && q !== '"') return null;
    let out = '';
    for (let i = this.pos + 1; i < this.src.length; i++) {
      const c = this.src[i]!;
      if (c === q) {
        this.pos = i + 1;
        return out;
      }
      if (c === '\n') return null;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.src[++i] ?? '';
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : 0;
      if (hex > 0) {
        out += String.fromCharCode(parseInt(this.src.slice(i + 1, i + 1 + hex), 16));
        i += hex;
      } else if (e !== '\n') out += ESCAPES[e] ?? e;
    }
    return null;
  }

  /** A literal, a known name or a joining call. */
  private term(): string | null {
    const lit = this.literal();
    if (lit !== null) return lit;
    const m = /^([A-Za-z_$][\w$]*)\s*(\(?)/.exec(this.src.slice(this.pos));
    if (!m) return null;
    const sep = this.joiners.get(m[1]!);
    if (m[2] && sep !== undefined) {
      this.pos += m[0].length;
      return this.items(')')?.join(sep) ?? null;
    }
    const value = this.names.get(m[1]!);
    if (m[2] || value === undefined || /^\s*\./.test(this.src.slice(this.pos + m[1]!.length)))
      return null;
    this.pos += m[1]!.length;
    return value;
  }

  /** Terms joined by `+`; null when the expression is anything else. */
  expr(): string | null {
    let out = this.term();
    if (out === null) return null;
    for (;;) {
      const before = this.pos;
      if (!this.eat('+')) return out;
      const next = this.term();
      if (next === null) {
        this.pos = before;
        return null;
      }
      out += next;
    }
  }

  /** Comma-separated expressions up to `close` (a trailing comma allowed); null if malformed. */
  items(close: string): string[] | null {
    const out: string[] = [];
    for (;;) {
      if (this.eat(close)) return out;
      const item = this.expr();
      if (item === null) return null;
      out.push(item);
      if (!this.eat(',')) return this.eat(close) ? out : null;
    }
  }
}
