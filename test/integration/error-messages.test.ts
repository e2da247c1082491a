// Errors say what to change: an unknown field is named (with the field it resembles) instead of a
// union branch's missing fields, 415 says to send application/json, 501 says which settings enable
// the feature instead of "An internal error occurred".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createTenant, operatorKey } from '../helpers/tenants.js';

let t: TestApp;
let auth: Record<string, string>;
beforeAll(async () => {
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey });
  auth = bearer((await createTenant(t, 'Acme')).token);
});
afterAll(async () => t?.close());

describe('error messages', () => {
  it('a typo in a mailbox body names the unknown field and the one it resembles', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: auth,
      payload: { provider: 'local', adress: 'support@acme.example' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body.code).toBe('validation_failed');
    expect(body.detail).toMatch(/unknown field 'adress' \(did you mean 'address'\?\)/);
    expect(body.errors[0]).toEqual({
      path: 'body/adress',
      message: "unknown field 'adress' (did you mean 'address'?)",
    });
    expect(JSON.stringify(body)).not.toMatch(/required property 'imap'/);
  });

  it('415 tells the caller to send application/json', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'provider=local',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({
      code: 'unsupported_media_type',
      detail:
        'Send the body as JSON with the header Content-Type: application/json (this request said "text/plain").',
    });
  });

  it('501 says which settings turn the feature on', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes/oauth/google/start',
      headers: auth,
      payload: { return_url: 'https://helpdesk.example/back' },
    });
    expect(res.statusCode).toBe(501);
    expect(res.json().detail).toMatch(/GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET/);
  });
});
