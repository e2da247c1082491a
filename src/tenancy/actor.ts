// Who is asking, for authorisation and the audit log. Built by the auth plugin for requests and by
// job handlers / CLI commands for background work.
import type { Scope } from './api-keys.js';

export interface Actor {
  tenantId: string;
  /** `key:<prefix>`, `operator`, `system:<job>` — never a secret. */
  name: string;
  scopes: ReadonlySet<Scope>;
  requestId: string | null;
  clientIp: string | null;
}

export function systemActor(tenantId: string, job: string): Actor {
  return { tenantId, name: `system:${job}`, scopes: new Set(), requestId: null, clientIp: null };
}
