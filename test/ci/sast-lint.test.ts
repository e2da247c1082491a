// The SAST rules of eslint.config.js (docs/security.md control 58), run by `npm run lint`: code that
// runs text as code or a shell, and a RegExp built per call from input, fail the lint; the reviewed
// files that may build patterns exist and still need the exemption.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const config = new ESLint({ cwd: root });
// Linting with type information builds the whole project's program (most of a minute on a busy
// machine); the selectors checked here need none, and the type-aware rule is checked as configured.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
});

/** Rule ids and lines reported for `code` linted as if it were the source file `filePath`. */
async function lint(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, filePath) });
  return (result?.messages ?? []).map((m) => `${m.line}:${m.ruleId ?? m.message}`);
}

const probe = `import { exec, spawn } from 'node:child_process';

export function probe(input: string): unknown {
  exec(input);
  spawn('ls', [input], { shell: true });
  setTimeout(input, 1);
  const f = new Function(input);
  const fromMail = new RegExp(input, 'i');
  return [eval(input), f, fromMail, /literal/.test(input)];
}
`;

describe('SAST lint rules', () => {
  it('refuses eval, the Function constructor, shells and per-call RegExp in src/', async () => {
    const found = await lint(probe, 'src/lib/content-disposition.ts');
    expect(found).toEqual(
      expect.arrayContaining([
        '1:no-restricted-imports',
        '5:no-restricted-syntax',
        '7:no-new-func',
        '8:no-restricted-syntax',
        '9:no-eval',
      ]),
    );
  });

  it('turns the type-aware string-timer rule on for src/', async () => {
    const rules = (
      (await config.calculateConfigForFile(resolve(root, 'src/lib/zip.ts'))) as {
        rules: Record<string, unknown[]>;
      }
    ).rules;
    for (const rule of ['@typescript-eslint/no-implied-eval', 'no-eval', 'no-new-func'])
      expect(rules[rule]?.[0], rule).toBe(2);
  });

  it('allows a RegExp built from constants at load, outside any function', async () => {
    const code =
      "const WORDS = ['a', 'b'];\nexport const ANY = new RegExp(`(?:${WORDS.join('|')})`);\n";
    expect(await lint(code, 'src/lib/content-disposition.ts')).toEqual([]);
  });

  it('lists only reviewed files that exist and build a RegExp from non-literals', () => {
    const config = readFileSync(resolve(root, 'eslint.config.js'), 'utf8');
    const block = /const reviewedDynamicRegExp = \{([\s\S]*?)\n\};/.exec(config)?.[1] ?? '';
    const files = [...block.matchAll(/'(src\/[^']+\.ts)'/g)].map((m) => m[1] as string);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(existsSync(resolve(root, file)), file).toBe(true);
      expect(readFileSync(resolve(root, file), 'utf8'), file).toMatch(/new RegExp\((?!\/)/);
    }
  });
});
