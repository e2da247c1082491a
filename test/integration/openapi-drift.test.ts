import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { renderOpenapi } from '../../scripts/openapi.js';

test('openapi.yaml is what the route schemas generate (run `npm run openapi` after changing a route)', async () => {
  const committed = await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8');
  expect(committed).toBe(await renderOpenapi());
});
