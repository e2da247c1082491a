// The fake's OAuth side, driven only through google-auth-library's OAuth2Client.
import type { GaxiosError } from 'gaxios';
import { CodeChallengeMethod } from 'google-auth-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { connect, consent, GMAIL_MODIFY, GMAIL_SEND, oauthClient } from './connect.js';
import type { GoogleFake } from './index.js';
import { startGoogleFake } from './index.js';

const ALICE = 'alice@acme.example';
let fake: GoogleFake;

beforeEach(async () => {
  fake = await startGoogleFake();
  fake.addUser(ALICE);
});
afterEach(async () => fake.close());

async function errorOf(p: Promise<unknown>): Promise<GaxiosError> {
  // googleapis and google-auth-library each carry their own gaxios copy, so `instanceof
  // GaxiosError` depends on which client made the call; check the shape instead.
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  expect((e as GaxiosError).response?.status).toBeTypeOf('number');
  return e as GaxiosError;
}

describe('authorization code flow with PKCE', () => {
  it('exchanges the code for tokens whose id_token verifies against the fake certs', async () => {
    const auth = oauthClient(fake);
    const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
    const url = auth.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: ['openid', 'email', GMAIL_MODIFY],
      state: 'xyz',
      code_challenge: codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
      include_granted_scopes: true,
    });
    const back = await consent(url);
    expect(back.get('state')).toBe('xyz');
    const { tokens } = await auth.getToken({ code: back.get('code')!, codeVerifier });
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope?.split(' ')).toContain(GMAIL_MODIFY);
    expect(tokens.expiry_date).toBeGreaterThan(Date.now());
    const ticket = await auth.verifyIdToken({
      idToken: tokens.id_token!,
      audience: fake.defaultClient.clientId,
    });
    expect(ticket.getPayload()?.email).toBe(ALICE);
  });

  it('refuses a second use of the same code and a wrong verifier', async () => {
    const auth = oauthClient(fake);
    const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
    const url = auth.generateAuthUrl({
      scope: [GMAIL_MODIFY],
      code_challenge: codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
    });
    const code = (await consent(url)).get('code')!;
    const wrong = await errorOf(
      auth.getToken({
        code,
        codeVerifier: codeVerifier.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
      }),
    );
    expect(wrong.status).toBe(400);
    expect(wrong.response?.data).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid code verifier.',
    });
    await auth.getToken({ code, codeVerifier });
    const reused = await errorOf(auth.getToken({ code, codeVerifier }));
    expect(reused.response?.data).toMatchObject({ error: 'invalid_grant' });
  });

  it('shows an error page, not a redirect, for an unregistered redirect_uri', async () => {
    const auth = oauthClient(fake);
    const res = await fetch(
      auth.generateAuthUrl({ scope: [GMAIL_MODIFY], redirect_uri: 'http://127.0.0.1/evil' }),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('redirect_uri_mismatch');
  });

  it('reports access_denied to the redirect_uri with the state', async () => {
    fake.setConsentOutcome('access_denied');
    const back = await consent(
      oauthClient(fake).generateAuthUrl({ scope: [GMAIL_MODIFY], state: 's1' }),
    );
    expect(back.get('error')).toBe('access_denied');
    expect(back.get('state')).toBe('s1');
    expect(back.get('code')).toBeNull();
  });

  it('omits the refresh token without offline access, and on re-consent without prompt=consent', async () => {
    const auth = oauthClient(fake);
    const online = (await consent(auth.generateAuthUrl({ scope: [GMAIL_MODIFY] }))).get('code')!;
    expect((await auth.getToken(online)).tokens.refresh_token).toBeUndefined();
    const again = (
      await consent(auth.generateAuthUrl({ scope: [GMAIL_MODIFY], access_type: 'offline' }))
    ).get('code')!;
    expect((await auth.getToken(again)).tokens.refresh_token).toBeUndefined();
    fake.setConsentOutcome('no_refresh_token');
    const forced = (
      await consent(
        auth.generateAuthUrl({ scope: [GMAIL_MODIFY], access_type: 'offline', prompt: 'consent' }),
      )
    ).get('code')!;
    expect((await auth.getToken(forced)).tokens.refresh_token).toBeUndefined();
  });

  it('grants only part of the scopes under partial_scopes', async () => {
    fake.setConsentOutcome('partial_scopes');
    const { tokens } = await connect(fake, ALICE, ['openid', 'email', GMAIL_MODIFY, GMAIL_SEND]);
    const granted = tokens.scope!.split(' ');
    expect(granted).toContain(GMAIL_MODIFY);
    expect(granted).not.toContain(GMAIL_SEND);
  });

  it('rejects unknown authorize parameters like Google does', async () => {
    const url = oauthClient(fake).generateAuthUrl({ scope: [GMAIL_MODIFY] }) + '&foo=bar';
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(400);
  });
});

describe('refresh and revocation', () => {
  it('refreshes an expired access token and keeps the refresh token', async () => {
    const { auth, tokens } = await connect(fake, ALICE);
    auth.setCredentials({ ...tokens, expiry_date: Date.now() - 1000 });
    const { token } = await auth.getAccessToken();
    expect(token).toBeTruthy();
    expect(token).not.toBe(tokens.access_token);
    expect(auth.credentials.refresh_token).toBe(tokens.refresh_token);
  });

  it('surfaces invalid_grant from failRefresh and revokeUser as the client error', async () => {
    const { auth, tokens } = await connect(fake, ALICE);
    fake.failRefresh(ALICE);
    const failed = await errorOf(auth.refreshAccessToken());
    expect(failed.status).toBe(400);
    expect(failed.message).toBe('invalid_grant');
    expect(failed.response?.data).toEqual({
      error: 'invalid_grant',
      error_description: 'Token has been expired or revoked.',
    });
    fake.failRefresh(ALICE, false);
    await auth.refreshAccessToken();
    fake.revokeUser(ALICE);
    auth.setCredentials({ refresh_token: tokens.refresh_token! });
    expect((await errorOf(auth.getAccessToken())).response?.data).toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('revoking the refresh token kills the whole grant, access tokens included', async () => {
    const { auth, gmail, tokens } = await connect(fake, ALICE);
    await gmail.users.getProfile({ userId: 'me' });
    await auth.revokeToken(tokens.refresh_token!);
    const after = await errorOf(gmail.users.getProfile({ userId: 'me' }));
    expect(after.status).toBe(401);
    const twice = await errorOf(auth.revokeToken(tokens.refresh_token!));
    expect(twice.status).toBe(400);
  });

  it("honours access token expiry with a 401 in Google's error shape", async () => {
    const { gmail } = await connect(fake, ALICE);
    fake.advanceTime(3600_000);
    const e = await errorOf(gmail.users.getProfile({ userId: 'me' }));
    expect(e.status).toBe(401);
    expect(e.response?.data).toMatchObject({
      error: { code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'authError' }] },
    });
  });
});
