// Shared response schemas. Every error response in openapi.yaml points at Problem.
import { Type } from 'typebox';

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true },
);

export const problemRef = Type.Ref('Problem');

/** Standard error responses for a route; pass the statuses it can return. */
export function errorResponses(...statuses: number[]): Record<number, typeof problemRef> {
  return Object.fromEntries(statuses.map((s) => [s, problemRef]));
}
