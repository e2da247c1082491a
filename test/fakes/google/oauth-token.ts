// Google's token endpoint (docs/providers.md, Gmail facts): client authentication, code exchange
// with PKCE, refresh, and ID tokens.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { oauthError, sendJson } from './http-util.js';
import { type RouteContext, token } from './oauth.js';
import type { FakeState, OAuthClientRegistration } from './state.js';
import { userOf } from './state.js';

function authenticateClient(
  state: FakeState,
  req: IncomingMessage,
  form: URLSearchParams,
): OAuthClientRegistration {
  let id = form.get('client_id') ?? undefined;
  let secret = form.get('client_secret') ?? undefined;
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const [bId, bSecret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
    id = bId;
    secret = bSecret;
  }
  if (!id) throw oauthError(400, 'invalid_request', 'Could not determine client ID from request.');
  const client = state.clients.get(id);
  if (!client) throw oauthError(401, 'invalid_client', 'The OAuth client was not found.');
  if (secret !== client.clientSecret) throw oauthError(401, 'invalid_client', 'Unauthorized');
  return client;
}

async function idToken(
  state: FakeState,
  email: string,
  clientId: string,
  nonce?: string,
  accessToken?: string,
): Promise<string> {
  const user = userOf(state, email)!;
  const iat = Math.floor(state.now() / 1000);
  const domain = email.split('@')[1] ?? '';
  const atHash = accessToken
    ? createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url')
    : undefined;
  return state.keys.sign({
    iss: 'https://accounts.google.com',
    azp: clientId,
    aud: clientId,
    sub: user.sub,
    email,
    email_verified: true,
    ...(atHash ? { at_hash: atHash } : {}),
    ...(nonce ? { nonce } : {}),
    ...(domain !== 'gmail.com' ? { hd: domain } : {}),
    iat,
    exp: iat + 3600,
  });
}

async function issue(
  state: FakeState,
  email: string,
  clientId: string,
  scopes: string[],
  refreshToken: string | undefined,
  nonce?: string,
) {
  const access = token('ya29.fake-');
  state.accessTokens.set(access, {
    email,
    clientId,
    scopes,
    expiresAt: state.now() + state.accessTokenTtlSec * 1000,
    refreshToken,
  });
  return {
    access_token: access,
    expires_in: state.accessTokenTtlSec,
    scope: scopes.join(' '),
    token_type: 'Bearer',
    ...(scopes.includes('openid')
      ? { id_token: await idToken(state, email, clientId, nonce, access) }
      : {}),
  };
}

export async function handleToken(
  state: FakeState,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  ctx: RouteContext,
): Promise<void> {
  ctx.operation = 'oauth.token';
  if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
    throw oauthError(
      400,
      'invalid_request',
      'Invalid Content-Type: expected application/x-www-form-urlencoded',
    );
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const grantType = form.get('grant_type');
  if (!grantType) throw oauthError(400, 'unsupported_grant_type', 'Invalid grant_type: ');
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    throw oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  }
  const client = authenticateClient(state, req, form);
  if (grantType === 'authorization_code') {
    const code = form.get('code');
    if (!code) throw oauthError(400, 'invalid_request', 'Missing required parameter: code');
    const record = state.codes.get(code);
    if (
      !record ||
      record.used ||
      record.expiresAt < state.now() ||
      record.clientId !== client.clientId
    ) {
      throw oauthError(400, 'invalid_grant', 'Bad Request');
    }
    ctx.user = record.email;
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) throw oauthError(400, 'invalid_request', 'Missing parameter: redirect_uri');
    if (redirectUri !== record.redirectUri)
      throw oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
    const verifier = form.get('code_verifier');
    if (record.codeChallenge) {
      if (!verifier) throw oauthError(400, 'invalid_grant', 'Missing code verifier.');
      const computed =
        record.codeChallengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (computed !== record.codeChallenge)
        throw oauthError(400, 'invalid_grant', 'Invalid code verifier.');
    }
    record.used = true;
    let refresh: string | undefined;
    if (record.issueRefreshToken) {
      refresh = token('1//0fake-');
      state.refreshTokens.set(refresh, {
        email: record.email,
        clientId: client.clientId,
        scopes: record.scopes,
      });
    }
    const out = await issue(
      state,
      record.email,
      client.clientId,
      record.scopes,
      refresh,
      record.nonce,
    );
    sendJson(res, 200, refresh ? { ...out, refresh_token: refresh } : out);
    return;
  }
  const refresh = form.get('refresh_token');
  if (!refresh)
    throw oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
  const record = state.refreshTokens.get(refresh);
  if (record) ctx.user = record.email;
  if (!record || state.refreshFailures.has(record.email))
    throw oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
  if (record.clientId !== client.clientId)
    throw oauthError(400, 'unauthorized_client', 'Unauthorized');
  sendJson(res, 200, await issue(state, record.email, client.clientId, record.scopes, refresh));
}
