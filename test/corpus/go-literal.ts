// Just enough of Go's composite-literal syntax to read expectations out of a project's _test.go:
// balanced braces that skip strings, runes and comments, the fields of one literal, and string
// literals ("…" with escapes, `raw`).

/** Index just past the string, rune or comment starting at src[i], or i when none starts there. */
function skipToken(src: string, i: number): number {
  const c = src[i];
  if (c === '`') return src.indexOf('`', i + 1) + 1 || src.length;
  if (c === '"' || c === "'") {
    let j = i + 1;
    while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
    return j + 1;
  }
  if (c === '/' && src[i + 1] === '/') return src.indexOf('\n', i) + 1 || src.length;
  if (c === '/' && src[i + 1] === '*') return src.indexOf('*/', i + 2) + 2 || src.length;
  return i;
}

/** The text between the brace at src[open] and its matching close (exclusive), and the end index. */
export function braceBlock(src: string, open: number): { body: string; end: number } {
  let depth = 0;
  for (let i = open; i < src.length;) {
    const next = skipToken(src, i);
    if (next !== i) {
      i = next;
      continue;
    }
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return { body: src.slice(open + 1, i), end: i + 1 };
    i++;
  }
  return { body: src.slice(open + 1), end: src.length };
}

/**
 * The fields of one literal's body (`Name: value,` at its own level), each value as source text.
 * Positional elements (`{…}, {…}` of a slice) come back under the keys '0', '1', ….
 */
export function literalFields(body: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let start = 0;
  let n = 0;
  const flush = (end: number) => {
    const item = body.slice(start, end).trim();
    if (item) {
      const m = /^([A-Za-z_]\w*)\s*:(?!=)\s*([\s\S]*)$/.exec(item);
      if (m) out.set(m[1]!, m[2]!.trim());
      else out.set(String(n++), item);
    }
    start = end + 1;
  };
  for (let i = 0; i < body.length;) {
    const next = skipToken(body, i);
    if (next !== i) {
      i = next;
      continue;
    }
    const c = body[i];
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) flush(i);
    i++;
  }
  flush(body.length);
  return out;
}

/** A Go string literal ("…" with escapes, or `raw`) starting at src[at]. */
export function goString(src: string, at = 0): string | null {
  if (src[at] === '`') {
    const end = src.indexOf('`', at + 1);
    return end < 0 ? null : src.slice(at + 1, end);
  }
  const m = /^"((?:[^"\\\n]|\\.)*)"/.exec(src.slice(at));
  if (!m) return null;
  return m[1]!.replace(
    /\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|.)/g,
    (_s, e: string) => {
      if (/^[uUx]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
      return (
        ({ n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' } as Record<string, string>)[e] ?? e
      );
    },
  );
}

/** The body of the literal that is a field's value (`Type{…}` or `&Type{…}`), or null. */
export function literalBody(value: string | undefined): string | null {
  if (value === undefined) return null;
  const open = value.indexOf('{');
  return open < 0 ? null : braceBlock(value, open).body;
}
