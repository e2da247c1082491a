// Consent may only return to an origin the tenant registered (PUT /v1/return-origins): the helpdesk
// does this once per tenant, as an operator would, before any consent link is started.
import type { TestApp } from './app.js';
import { bearer } from './tenants.js';

export async function registerReturnOrigin(
  t: TestApp,
  token: string,
  returnUrl: string,
): Promise<void> {
  const registered = (
    await t.app.inject({ method: 'GET', url: '/v1/return-origins', headers: bearer(token) })
  ).json().origins as string[];
  const origin = new URL(returnUrl).origin;
  if (registered.includes(origin)) return;
  const res = await t.app.inject({
    method: 'PUT',
    url: '/v1/return-origins',
    headers: bearer(token),
    payload: { origins: [...registered, origin] },
  });
  if (res.statusCode !== 200) throw new Error(`return origin: ${res.statusCode} ${res.body}`);
}
