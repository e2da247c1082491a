// Consent flows return only to origins the tenant registered (no open redirect, failures included),
// and a mailbox already connected in one tenant cannot be connected to another through a consent
// link that tenant sent to its owner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GmailHarness, makeGmailHarness } from '../../helpers/gmail.js';
import { bearer, createTenant } from '../../helpers/tenants.js';

let h: GmailHarness;
beforeAll(async () => {
  h = await makeGmailHarness();
});
afterAll(async () => {
  await h?.close();
});

const start = (token: string, returnUrl: string) =>
  h.t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes/oauth/google/start',
    headers: bearer(token),
    payload: { return_url: returnUrl },
  });
const putOrigins = (token: string, origins: string[]) =>
  h.t.app.inject({
    method: 'PUT',
    url: '/v1/return-origins',
    headers: bearer(token),
    payload: { origins },
  });

describe('return origins', () => {
  it('refuses a return_url on an origin the tenant has not registered with 400', async () => {
    const t = await createTenant(h.t, 'Origins');
    const res = await start(t.token, 'https://evil.example/steal');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'return_url_not_registered' });
    expect((await putOrigins(t.token, ['https://helpdesk.example/any/path'])).json()).toEqual({
      origins: ['https://helpdesk.example'],
    });
    expect((await start(t.token, 'https://helpdesk.example/settings')).statusCode).toBe(200);
    expect(
      (await start(t.token, 'https://helpdesk.example.evil.example/settings')).statusCode,
    ).toBe(400);
    expect((await start(t.token, 'http://helpdesk.example/settings')).statusCode).toBe(400);
  });

  it('registers https origins, and http only for localhost outside production', async () => {
    const t = await createTenant(h.t, 'Origins2');
    expect((await putOrigins(t.token, ['http://helpdesk.example'])).statusCode).toBe(400);
    expect((await putOrigins(t.token, ['javascript:alert(1)'])).statusCode).toBe(400);
    expect((await putOrigins(t.token, ['http://localhost:5173'])).json()).toEqual({
      origins: ['http://localhost:5173'],
    });
    // Another tenant's list is its own.
    expect(
      (
        await h.t.app.inject({
          method: 'GET',
          url: '/v1/return-origins',
          headers: bearer(h.tenant.token),
        })
      ).json().origins,
    ).not.toContain('http://localhost:5173');
  });

  it('does not redirect, even with an error, to an origin no longer registered', async () => {
    const t = await createTenant(h.t, 'Origins3');
    await putOrigins(t.token, ['https://helpdesk.example']);
    const url = new URL(
      (await start(t.token, 'https://helpdesk.example/back')).json().authorization_url as string,
    );
    await putOrigins(t.token, []);
    const back = await h.callback(
      new URLSearchParams({ state: url.searchParams.get('state')!, error: 'access_denied' }),
    );
    expect(back.status).toBe(400);
    expect(back.location).toBeNull();
  });
});

describe('consent across tenants', () => {
  it('refuses to connect to tenant B a mailbox tenant A has connected, until A disconnects it', async () => {
    const email = 'owner@victim-corp.example';
    const a = await h.connect(email);
    expect(a.location!.searchParams.get('status')).toBe('connected');
    const b = await createTenant(h.t, 'Phisher');
    const attempt = await h.connect(email, { token: b.token });
    expect(attempt.status).toBe(303);
    expect(Object.fromEntries(attempt.location!.searchParams)).toMatchObject({
      status: 'error',
      error: 'address_in_use_elsewhere',
    });
    const listed = (
      await h.t.app.inject({ method: 'GET', url: '/v1/mailboxes', headers: bearer(b.token) })
    ).json().items;
    expect(listed).toEqual([]);
    // A releases the address by disconnecting; then B may connect it.
    expect(
      (
        await h.t.app.inject({
          method: 'DELETE',
          url: `/v1/mailboxes/${a.mailboxId}`,
          headers: bearer(h.tenant.token),
        })
      ).statusCode,
    ).toBe(200);
    const again = await h.connect(email, { token: b.token });
    expect(again.location!.searchParams.get('status')).toBe('connected');
  });
});

describe('Pub/Sub push endpoint', () => {
  it('answers 401 from the headers alone, before reading a (large) body', async () => {
    const { connect } = await import('node:net');
    const url = new URL(h.pushEndpoint);
    const answer = await new Promise<string>((resolve) => {
      const s = connect(Number(url.port), url.hostname, () => {
        // Announce 2 MiB and send none of it: only a server that checks the token first answers.
        s.write(
          `POST ${url.pathname} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\nAuthorization: Bearer not.a.valid-token-at-all\r\n\r\n`,
        );
      });
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n\r\n')) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('error', () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
  });
});
