// Shared schemas. Every error response in openapi.yaml points at Problem.
import { type TSchema, Type } from 'typebox';

import { type ErrorCode, errorCodes } from '../errors.js';
import { type Scope, scopes } from '../tenancy/api-keys.js';

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.Unsafe<ErrorCode>({
      type: 'string',
      enum: Object.keys(errorCodes),
      description: 'Stable machine-readable error code; every code the API returns is listed',
    }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'Where in the request, e.g. /body/imap/host' }),
          message: Type.String({ description: 'What is wrong there and what to send instead' }),
        }),
        { description: 'validation_failed: one entry per problem found' },
      ),
    ),
  },
  { $id: 'Problem', additionalProperties: true },
);

/**
 * A response that is not JSON: its media type ends up in openapi.yaml (src/http/openapi-transform.ts),
 * so generated clients read it as text or bytes. E.g. mediaResponse('message/rfc822', 'The original .eml').
 */
export function mediaResponse(mediaType: string, description: string) {
  return Type.Unsafe<string | Buffer | NodeJS.ReadableStream>({
    type: 'string',
    contentMediaType: mediaType,
    description,
  });
}

export const problemRef = Type.Ref('Problem');

/** Standard error responses for a route; pass the statuses it can return. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, problemRef]));
}

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });
export const ScopeSchema = Type.Unsafe<Scope>(Type.Union(scopes.map((s) => Type.Literal(s))));
export const Timestamp = Type.String({ format: 'date-time' });

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
};

/** Standard auth failures plus whatever the route adds. */
export const authErrors = [400, 401, 403, 429, 500];
