import { writeFile } from 'node:fs/promises';
import { renderOpenapi } from './openapi.js';

await writeFile(new URL('../openapi.yaml', import.meta.url), await renderOpenapi());
console.log('wrote openapi.yaml');
