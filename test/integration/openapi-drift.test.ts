import { readFile } from 'node:fs/promises';

import { expect, test } from 'vitest';

import { renderOpenapi, renderOpenapiTypes } from '../../scripts/openapi.js';

test('openapi.yaml is what the route schemas generate (run `npm run openapi` after changing a route)', async () => {
  const committed = await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8');
  expect(committed).toBe(await renderOpenapi());
});

test('the generated client types are those of openapi.yaml (run `npm run openapi`)', async () => {
  const yamlText = await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8');
  const committed = await readFile(
    new URL('../contract/openapi-types.ts', import.meta.url),
    'utf8',
  );
  expect(committed).toBe(await renderOpenapiTypes(yamlText));
});
