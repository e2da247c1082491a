// Consent flows return only to origins the tenant registered (no open redirect, failures included),
// a mailbox already connected in one tenant cannot be connected to another through a consent
// link that tenant sent to its owner, and a consent completes only in the browser that opened
// Inlet's one-time consent URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consent } from '../../fakes/google/connect.js';
import { type GmailHarness, makeGmailHarness, publicUrl } from '../../helpers/gmail.js';
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
    const url = await h.startUrl(t.token, 'https://helpdesk.example/back');
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

describe('consent bound to the browser that opened it', () => {
  it('a consent link started by tenant B and completed in a different browser creates nothing', async () => {
    const email = 'first-time@victim2-corp.example';
    h.fake.addUser(email);
    const b = await createTenant(h.t, 'Phisher2');
    // B opens its own consent URL (its browser gets the cookie) and hands the provider link on.
    const phisher = h.newBrowser();
    const providerUrl = await h.startUrl(b.token, 'https://helpdesk.example/back', phisher);
    providerUrl.searchParams.set('login_hint', email);
    // The mailbox owner signs in and consents at Google in their own browser.
    const query = await consent(providerUrl.toString());
    const victim = h.newBrowser();
    const back = await h.callback(query, victim);
    expect(back.status).toBe(303);
    expect(Object.fromEntries(back.location!.searchParams)).toMatchObject({
      status: 'error',
      error: 'browser_mismatch',
    });
    expect(back.body).toContain('different browser');
    const listed = await h.t.app.inject({
      method: 'GET',
      url: '/v1/mailboxes',
      headers: bearer(b.token),
    });
    expect(listed.json().items).toEqual([]);
    expect(
      await h.owner<{ n: number }>(
        `SELECT count(*)::int AS n FROM mailboxes WHERE tenant_id = $1`,
        [b.id],
      ),
    ).toEqual([{ n: 0 }]);
    // The state was spent by the refused attempt: not even B's own browser can replay it.
    const replay = await h.callback(query, phisher);
    expect(replay.location!.searchParams.get('error')).toBe('state_used');
  });

  it('the start answer holds no provider URL; the consent URL binds the first browser and works once', async () => {
    const t = await createTenant(h.t, 'Browser');
    await putOrigins(t.token, ['https://helpdesk.example']);
    const res = await start(t.token, 'https://helpdesk.example/back');
    expect(Object.keys(res.json()).sort()).toEqual(['consent_url', 'expires_at']);
    const consentUrl = new URL(res.json().consent_url as string);
    expect(consentUrl.origin).toBe(publicUrl);
    expect(consentUrl.pathname).toBe('/v1/oauth/consent');
    expect(consentUrl.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(res.body).not.toContain(new URL(h.fake.oauthEndpoints.oauth2AuthBaseUrl).host);

    const path = `${consentUrl.pathname}${consentUrl.search}`;
    const first = await h.t.app.inject({ method: 'GET', url: path });
    expect(first.statusCode).toBe(303);
    expect(String(first.headers.location)).toContain(h.fake.oauthEndpoints.oauth2AuthBaseUrl);
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^inlet_consent_[0-9a-f]{32}=[A-Za-z0-9_-]{43};/);
    for (const attr of ['HttpOnly', 'SameSite=Lax', 'Secure', 'Path=/v1/oauth/'])
      expect(cookie).toContain(attr);

    const second = await h.t.app.inject({ method: 'GET', url: path });
    expect(second.statusCode).toBe(303);
    expect(second.headers['set-cookie']).toBeUndefined();
    expect(Object.fromEntries(new URL(String(second.headers.location)).searchParams)).toEqual({
      status: 'error',
      error: 'consent_link_used',
    });
    const forged = await h.t.app.inject({ method: 'GET', url: `${path.slice(0, -3)}AAA` });
    expect(forged.statusCode).toBe(400);
    expect(forged.headers.location).toBeUndefined();
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
