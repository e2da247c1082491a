// What the send-grant tests (Gmail and Microsoft 365) read back: the API as the tenant, and the
// mailbox.send_grant_changed events of one mailbox in order.
import { randomUUID } from 'node:crypto';

import type { FastifyInstance } from 'fastify';

import { bearer } from './tenants.js';

interface Harness {
  t: { app: FastifyInstance };
  tenant: { token: string };
  owner<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** A request as the harness's tenant, each with a fresh idempotency key. */
export const tenantApi =
  (h: () => Harness) => (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    h().t.app.inject({
      method,
      url,
      headers: { ...bearer(h().tenant.token), 'idempotency-key': randomUUID() },
      payload: payload as never,
    });

/** The send_granted value of each mailbox.send_grant_changed event of a mailbox, oldest first. */
export const grantEventsOf = (h: Harness, mailboxId: string) =>
  h.owner<{ send_granted: boolean }>(
    `SELECT (data->>'send_granted')::boolean AS send_granted FROM events
      WHERE resource_id = $1 AND type = 'mailbox.send_grant_changed' ORDER BY id`,
    [mailboxId],
  );
