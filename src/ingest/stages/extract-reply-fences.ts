// Code a person pastes between Markdown fences (```) is theirs whatever it looks like: a '>' line,
// an "On … wrote:" or a "--" inside it is code, not a quote or a signature. The fenced lines are
// swapped for opaque tokens while the rules read the text, and put back in what they keep.
const FENCE = /^\s*```[\w+-]*\s*$/u;
// Private-use characters: no rule reads them as a quote, an attribution, a header or a blank line.
const TOKEN = /\uE000(\d+)\uE001/gu;

export interface Hoisted {
  lines: string[];
  /** `text` with the fenced lines put back. */
  restore: (text: string) => string;
}

export function hoistFences(lines: string[]): Hoisted {
  const stash: string[] = [];
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i] ?? '';
    let close = -1;
    if (FENCE.test(open))
      for (let k = i + 1; k < lines.length && close === -1; k++)
        if (FENCE.test(lines[k] ?? '')) close = k;
    if (close === -1) {
      out.push(open);
      continue;
    }
    for (let k = i; k <= close; k++) {
      out.push(`\uE000${stash.length}\uE001`);
      stash.push(lines[k] ?? '');
    }
    i = close;
  }
  return stash.length === 0
    ? { lines, restore: (text) => text }
    : {
        lines: out,
        restore: (text) => text.replace(TOKEN, (_m, n: string) => stash[Number(n)] ?? ''),
      };
}
