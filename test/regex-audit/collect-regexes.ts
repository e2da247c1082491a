// Every regular expression a set of modules holds: the literals in their source (read with the
// TypeScript parser, so a regex inside a function is found too) and the ones they build with
// `new RegExp(…)` while loading (word lists joined into alternations). A regex built per call from
// runtime input is not found here; none of the audited modules does that.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';

import ts from 'typescript';

export interface FoundRegex {
  /** Repository-relative file and line where it is written or built. */
  where: string;
  source: string;
  flags: string;
}

function literalsOf(file: string, root: string): FoundRegex[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: FoundRegex[] = [];
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(sf);
      const end = literal.lastIndexOf('/');
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      found.push({
        where: `${relative(root, file)}:${line}`,
        source: literal.slice(1, end),
        flags: literal.slice(end + 1),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The first stack frame inside one of `files` (the line that built the regex). */
function builtAt(stack: string, files: string[], root: string): string | null {
  for (const frame of stack.split('\n').slice(1)) {
    const file = files.find((f) => frame.includes(f));
    if (file === undefined) continue;
    const line = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(frame);
    return `${relative(root, file)}:${line?.[1] ?? '?'}`;
  }
  return null;
}

/**
 * Literals of `files`, plus the regexes built while importing them. Importing must happen here
 * first (a module already loaded builds nothing again): call it before anything imports them.
 */
export async function collectRegexes(files: string[], root: string): Promise<FoundRegex[]> {
  const found = files.flatMap((f) => literalsOf(f, root));
  const Original = globalThis.RegExp;
  const built: FoundRegex[] = [];
  globalThis.RegExp = new Proxy(Original, {
    construct(target, args: [string | RegExp, string?]) {
      const re = Reflect.construct(target, args) as RegExp;
      const where = builtAt(new Error().stack ?? '', files, root);
      if (where !== null) built.push({ where, source: re.source, flags: re.flags });
      return re;
    },
  });
  try {
    for (const f of files) await import(pathToFileURL(f).href);
  } finally {
    globalThis.RegExp = Original;
  }
  const unique = new Map<string, FoundRegex>();
  for (const r of [...found, ...built])
    unique.set(`/${r.source}/${r.flags}`, unique.get(`/${r.source}/${r.flags}`) ?? r);
  return [...unique.values()];
}
