// Rewrites the configuration table in README.md from src/config.ts.
import { readFile, writeFile } from 'node:fs/promises';

import { configTableMarkdown } from '../src/config.js';

const file = new URL('../README.md', import.meta.url);
const readme = await readFile(file, 'utf8');
const next = readme.replace(
  /<!-- config-table:start -->[\s\S]*<!-- config-table:end -->/,
  `<!-- config-table:start -->\n${configTableMarkdown()}\n<!-- config-table:end -->`,
);
await writeFile(file, next);
console.log('README configuration table updated');
