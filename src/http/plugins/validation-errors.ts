// Turns Ajv's errors into ones that say what to change. A typo such as `adress` in a body whose
// schema is a union (local | imap | gmail mailbox) made Ajv report every branch's missing fields
// ("must have required property 'imap'") and never the unknown field: unknown fields are named
// first (with the closest known name), the union branches' noise is dropped when they exist.
import type { FastifySchemaValidationError } from 'fastify';

import { AppError } from '../../errors.js';

interface Item {
  path: string;
  message: string;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

type Schema = {
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  oneOf?: Schema[];
  additionalProperties?: unknown;
};

/** Property names any branch of an object schema (or union of them) accepts; null = any name goes. */
function known(schema: Schema | undefined): Set<string> | null {
  if (!schema) return null;
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const all = new Set<string>();
    for (const b of branches) {
      const k = known(b);
      if (k === null) return null;
      for (const n of k) all.add(n);
    }
    return all;
  }
  if (schema.additionalProperties !== false || !schema.properties) return null;
  return new Set(Object.keys(schema.properties));
}

/** Unknown top-level fields of a JSON body, found against the route's schema (Ajv stops at a union's first error). */
export function unknownFields(schema: unknown, body: unknown, context: string): Item[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const names = known(schema as Schema);
  if (!names) return [];
  return Object.keys(body)
    .filter((k) => !names.has(k))
    .map((field) => {
      const near = [...names]
        .map((n) => [n, distance(field, n)] as const)
        .filter(([, d]) => d <= 2)
        .sort((x, y) => x[1] - y[1])[0]?.[0];
      return {
        path: `${context}/${field}`,
        message: `unknown field '${field}'${near ? ` (did you mean '${near}'?)` : ''}`,
      };
    });
}

export function validationError(
  errors: FastifySchemaValidationError[],
  context: string,
  found: Item[] = [],
): AppError {
  const unknown: Item[] = [...found];
  const seen = new Set<string>(found.map((f) => f.path));
  for (const e of errors) {
    const field = (e.params as { additionalProperty?: unknown }).additionalProperty;
    if (e.keyword !== 'additionalProperties' || typeof field !== 'string') continue;
    const path = `${context}${e.instancePath}/${field}`;
    if (seen.has(path)) continue;
    seen.add(path);
    unknown.push({ path, message: `unknown field '${field}'` });
  }
  const rest: Item[] = (
    unknown.length > 0
      ? errors.filter(
          (e) =>
            e.keyword !== 'additionalProperties' &&
            !['required', 'anyOf', 'oneOf', 'const', 'enum'].includes(e.keyword),
        )
      : errors
  ).map((e) => ({ path: `${context}${e.instancePath}`, message: e.message ?? 'invalid' }));
  const items = [...unknown, ...rest];
  const detail =
    unknown.length > 0
      ? `The request has ${unknown.map((u) => u.message).join(', ')}; remove or rename it.`
      : `The request does not match the schema: ${items
          .slice(0, 3)
          .map((i) => `${i.path} ${i.message}`)
          .join('; ')}.`;
  return new AppError('validation_failed', detail, { errors: items });
}
