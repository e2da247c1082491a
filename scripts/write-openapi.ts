import { writeFile } from 'node:fs/promises';

import { renderOpenapi, renderOpenapiTypes } from './openapi.js';

const yamlText = await renderOpenapi();
await writeFile(new URL('../openapi.yaml', import.meta.url), yamlText);
await writeFile(
  new URL('../test/contract/openapi-types.ts', import.meta.url),
  await renderOpenapiTypes(yamlText),
);
console.log('wrote openapi.yaml and test/contract/openapi-types.ts');
