// Tenants through the public API, the way a helpdesk operator creates them.
import { randomBytes } from 'node:crypto';

import type { TestApp } from './app.js';

export const operatorKey = 'test-operator-key-' + 'x'.repeat(32);
export const testKeyring = (id = 'k1') => `${id}:${randomBytes(32).toString('base64')}`;

export async function createTenant(
  t: TestApp,
  name: string,
): Promise<{ id: string; token: string; keyId: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/tenants',
    headers: { authorization: `Bearer ${operatorKey}` },
    payload: { name },
  });
  if (res.statusCode !== 201)
    throw new Error(`tenant creation failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return { id: body.tenant.id, token: body.api_key.token, keyId: body.api_key.id };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
