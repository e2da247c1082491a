import { type Static, Type } from 'typebox';

import type { ApiKeyRow } from '../../../store/api-key-store.js';
import { type Scope, scopes } from '../../../tenancy/api-keys.js';
import { ScopeSchema, Timestamp, Uuid } from '../../schemas.js';

export const ApiKey = Type.Object(
  {
    id: Uuid,
    prefix: Type.String({ description: 'Shown in audit records as key:<prefix>' }),
    name: Type.String(),
    scopes: Type.Array(ScopeSchema),
    created_at: Timestamp,
    created_by: Type.String(),
    last_used_at: Type.Union([Timestamp, Type.Null()]),
    revoked_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: 'ApiKey' },
);

export const ApiKeyCreated = Type.Intersect([
  ApiKey,
  Type.Object({ token: Type.String({ description: 'The secret key. Shown once; store it now.' }) }),
]);

const knownScopes = new Set<string>(scopes);
/** Keys are created with validated scopes only; a scope since retired is not shown. */
const isScope = (s: string): s is Scope => knownScopes.has(s);

export function apiKeyView(k: ApiKeyRow): Static<typeof ApiKey> {
  return {
    id: k.id,
    prefix: k.prefix,
    name: k.name,
    scopes: k.scopes.filter(isScope),
    created_at: k.created_at.toISOString(),
    created_by: k.created_by,
    last_used_at: k.last_used_at?.toISOString() ?? null,
    revoked_at: k.revoked_at?.toISOString() ?? null,
  };
}
