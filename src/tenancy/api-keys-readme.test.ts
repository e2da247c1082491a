// README's security model names the API key scopes a tenant can grant; it must name exactly the
// ones the code checks, or an integrator cannot find the scope a route needs (webhooks:manage was
// missing).
import { readFile } from 'node:fs/promises';

import { expect, test } from 'vitest';

import { scopes } from './api-keys.js';

test('README lists exactly the API key scopes', async () => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const sentence = /scopes are\s+([^.]+)\./.exec(readme)?.[1] ?? '';
  const listed = [...sentence.matchAll(/`([a-z_]+:[a-z_]+)`/g)].map((m) => m[1]);
  expect(listed.sort()).toEqual([...scopes].sort());
});
