// README's "Commands" names every command `inlet help` offers: an operator reads the README, not
// the usage text (`inlet mailboxes purge` and `inlet keys status|epoch` were missing).
import { readFile } from 'node:fs/promises';

import { expect, test } from 'vitest';

import { repoRoot, runCli } from '../helpers/cli.js';

test('README lists every command of inlet help', async () => {
  const p = runCli(['help'], {});
  expect((await p.exited).code).toBe(0);
  // Command lines are indented two spaces (`  tenants create NAME` → `tenants create`); their
  // descriptions' continuation lines more.
  const commands = [...p.output().matchAll(/^ {2}([a-z]+(?: [a-z]+)?)/gm)].map((m) => m[1]!);
  expect(commands).toContain('keys epoch');
  const readme = await readFile(`${repoRoot}/README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Commands'), readme.indexOf('## First ticket'));
  for (const c of commands) expect(section, c).toContain(`\`inlet ${c}`);
});
