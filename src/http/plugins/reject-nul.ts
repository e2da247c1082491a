// PostgreSQL text cannot hold U+0000, so a NUL anywhere in a query, path or JSON string used to reach
// the database and come back as a 500. It is refused up front as 400, naming where it was.
import type { FastifyInstance } from 'fastify';

import { AppError } from '../../errors.js';

/** Path of the first string containing NUL (keys included), or null. Depth-bounded by the body parser. */
export function findNul(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\0') ? path || '/' : null;
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return null;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.includes('\0')) return `${path}/${k.replace(/\0/g, '\\0')}`;
    const found = findNul(v, `${path}/${k}`);
    if (found) return found;
  }
  return null;
}

export function registerRejectNul(app: FastifyInstance): void {
  // onRequest covers the URL (even on routes that never parse it); preValidation covers the body.
  app.addHook('onRequest', async (req) => {
    if (/%00|\0/i.test(req.url))
      throw new AppError('validation_failed', 'The request URL contains a NUL character.', {
        errors: [{ path: 'url', message: 'NUL is not allowed' }],
      });
  });
  app.addHook('preValidation', async (req) => {
    const where = findNul(req.body);
    if (where)
      throw new AppError('validation_failed', 'The request body contains a NUL character.', {
        errors: [{ path: `body${where}`, message: 'NUL is not allowed' }],
      });
  });
}
