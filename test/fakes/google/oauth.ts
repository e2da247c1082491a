// Google OAuth 2.0 web-server flow (docs/providers.md, Gmail facts): consent screen, token endpoint
// (code exchange with PKCE, refresh), revocation, tokeninfo, userinfo, and the signing certs.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { HttpError, oauthError, queryParams, sendEmpty, sendHtml, sendJson } from './http-util.js';
import type { AuthCode, FakeState, OAuthClientRegistration } from './state.js';
import { userOf } from './state.js';

export interface RouteContext {
  user: string | undefined;
  operation: string;
}

const G = 'https://www.googleapis.com/auth/';
const LONG_FORM: Record<string, string> = {
  email: `${G}userinfo.email`,
  profile: `${G}userinfo.profile`,
};
export const KNOWN_SCOPES = new Set([
  'openid',
  `${G}userinfo.email`,
  `${G}userinfo.profile`,
  'https://mail.google.com/',
  ...[
    'readonly',
    'modify',
    'metadata',
    'compose',
    'insert',
    'send',
    'labels',
    'settings.basic',
    'settings.sharing',
  ].map((s) => `${G}gmail.${s}`),
]);
const IDENTITY = new Set(['openid', `${G}userinfo.email`, `${G}userinfo.profile`]);
const AUTH_PARAMS = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'access_type',
  'prompt',
  'include_granted_scopes',
  'state',
  'login_hint',
  'hd',
  'code_challenge',
  'code_challenge_method',
  'enable_granular_consent',
  'nonce',
]);

const token = (prefix: string) => prefix + randomBytes(24).toString('base64url');
const grantKey = (email: string, clientId: string) => `${email} ${clientId}`;

function errorPage(status: number, error: string): HttpError {
  return new HttpError(status, { page: `Error ${status}: ${error}` });
}

export function handleAuthorize(
  state: FakeState,
  url: URL,
  res: ServerResponse,
  ctx: RouteContext,
): void {
  ctx.operation = 'oauth.authorize';
  const q = queryParams(url);
  const one = (name: string): string | undefined => {
    const v = q.get(name);
    if (v && v.length > 1) throw errorPage(400, 'invalid_request');
    return v?.[0];
  };
  try {
    for (const name of q.keys())
      if (!AUTH_PARAMS.has(name)) throw errorPage(400, 'invalid_request');
    const client = state.clients.get(one('client_id') ?? '');
    if (!client) throw errorPage(401, 'invalid_client');
    const redirectUri = one('redirect_uri') ?? '';
    if (!client.redirectUris.includes(redirectUri)) throw errorPage(400, 'redirect_uri_mismatch');
    if (one('response_type') !== 'code') throw errorPage(400, 'invalid_request');
    const requested = (one('scope') ?? '')
      .split(' ')
      .filter(Boolean)
      .map((s) => LONG_FORM[s] ?? s);
    if (requested.length === 0 || requested.some((s) => !KNOWN_SCOPES.has(s)))
      throw errorPage(400, 'invalid_scope');
    const accessType = one('access_type') ?? 'online';
    if (accessType !== 'online' && accessType !== 'offline')
      throw errorPage(400, 'invalid_request');
    const prompt = (one('prompt') ?? '').split(' ').filter(Boolean);
    if (prompt.some((p) => !['none', 'consent', 'select_account'].includes(p)))
      throw errorPage(400, 'invalid_request');
    const challenge = one('code_challenge');
    const method = one('code_challenge_method') ?? (challenge ? 'plain' : undefined);
    if (method !== undefined && method !== 'S256' && method !== 'plain')
      throw errorPage(400, 'invalid_request');
    if (method !== undefined && !challenge) throw errorPage(400, 'invalid_request');
    if (challenge && !/^[A-Za-z0-9._~-]{43,128}$/.test(challenge))
      throw errorPage(400, 'invalid_request');
    const includeGranted = one('include_granted_scopes');
    if (includeGranted !== undefined && includeGranted !== 'true' && includeGranted !== 'false')
      throw errorPage(400, 'invalid_request');

    const hint = one('login_hint');
    const email = (
      hint && userOf(state, hint) ? hint : (state.consent.email ?? [...state.users.keys()][0])
    )?.toLowerCase();
    if (!email || !userOf(state, email)) throw errorPage(400, 'invalid_request');
    ctx.user = email;
    const back = new URL(redirectUri);
    const stateParam = one('state');
    const key = grantKey(email, client.clientId);
    const previous = state.grants.get(key);
    const outcome = state.consent.outcome;
    if (outcome === 'access_denied' || (prompt.includes('none') && !previous)) {
      back.searchParams.set(
        'error',
        outcome === 'access_denied' ? 'access_denied' : 'consent_required',
      );
      if (stateParam !== undefined) back.searchParams.set('state', stateParam);
      sendEmpty(res, 302, { location: back.toString() });
      return;
    }
    let granted = requested;
    if (state.consent.grantScopes)
      granted = requested.filter((s) => state.consent.grantScopes!.includes(s));
    else if (outcome === 'partial_scopes') {
      // Granular consent: the user ticks only the first non-identity scope (or none at all).
      const extra = requested.filter((s) => !IDENTITY.has(s));
      granted = requested.filter((s) => IDENTITY.has(s) || (extra.length > 1 && s === extra[0]));
    }
    if (includeGranted === 'true' && previous) granted = [...new Set([...previous, ...granted])];
    const firstConsent = !previous || previous.size === 0;
    const code = token('4/0Afake-');
    const record: AuthCode = {
      email,
      clientId: client.clientId,
      redirectUri,
      scopes: granted,
      codeChallenge: challenge,
      codeChallengeMethod: method as AuthCode['codeChallengeMethod'],
      issueRefreshToken:
        accessType === 'offline' &&
        outcome !== 'no_refresh_token' &&
        (firstConsent || prompt.includes('consent')),
      nonce: one('nonce'),
      expiresAt: state.now() + 10 * 60_000,
      used: false,
    };
    state.codes.set(code, record);
    state.grants.set(key, new Set([...(previous ?? []), ...granted]));
    if (stateParam !== undefined) back.searchParams.set('state', stateParam);
    back.searchParams.set('code', code);
    back.searchParams.set('scope', granted.join(' '));
    back.searchParams.set('authuser', '0');
    if (prompt.length > 0) back.searchParams.set('prompt', prompt.join(' '));
    sendEmpty(res, 302, { location: back.toString() });
  } catch (e) {
    if (e instanceof HttpError && typeof e.body === 'object' && e.body && 'page' in e.body) {
      sendHtml(res, e.status, String((e.body as { page: string }).page));
      return;
    }
    throw e;
  }
}

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

/** Revoking any token of a grant removes the whole grant: every token and every scope
 *  (docs/providers.md, Gmail fake). */
export function revokeGrant(state: FakeState, email: string, clientId?: string): void {
  for (const [t, r] of state.accessTokens)
    if (r.email === email && (!clientId || r.clientId === clientId)) state.accessTokens.delete(t);
  for (const [t, r] of state.refreshTokens)
    if (r.email === email && (!clientId || r.clientId === clientId)) state.refreshTokens.delete(t);
  for (const key of state.grants.keys())
    if (key.startsWith(`${email} `) && (!clientId || key === grantKey(email, clientId)))
      state.grants.delete(key);
}

export function handleRevoke(
  state: FakeState,
  url: URL,
  body: Buffer,
  res: ServerResponse,
  ctx: RouteContext,
): void {
  ctx.operation = 'oauth.revoke';
  const t =
    url.searchParams.get('token') ?? new URLSearchParams(body.toString('utf8')).get('token');
  const access = t ? state.accessTokens.get(t) : undefined;
  const record = access ?? (t ? state.refreshTokens.get(t) : undefined);
  if (!record || (access && access.expiresAt < state.now())) {
    throw oauthError(400, 'invalid_token', 'Token expired or revoked');
  }
  ctx.user = record.email;
  revokeGrant(state, record.email, record.clientId);
  sendJson(res, 200, {});
}

export function bearer(state: FakeState, req: IncomingMessage) {
  const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
  const record = m ? state.accessTokens.get(m[1]!) : undefined;
  if (!record || record.expiresAt <= state.now()) return undefined;
  return record;
}

export function handleUserinfo(
  state: FakeState,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
): void {
  ctx.operation = 'oauth.userinfo';
  const record = bearer(state, req);
  if (!record || !record.scopes.some((s) => IDENTITY.has(s)))
    throw oauthError(401, 'invalid_request', 'Invalid Credentials');
  ctx.user = record.email;
  const user = userOf(state, record.email)!;
  const domain = record.email.split('@')[1] ?? '';
  sendJson(res, 200, {
    sub: user.sub,
    email: record.email,
    email_verified: true,
    ...(domain !== 'gmail.com' ? { hd: domain } : {}),
  });
}

export function handleTokenInfo(
  state: FakeState,
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
  ctx: RouteContext,
): void {
  ctx.operation = 'oauth.tokeninfo';
  const given = url.searchParams.get('access_token');
  const record = given ? state.accessTokens.get(given) : bearer(state, req);
  if (!record || record.expiresAt <= state.now())
    throw oauthError(400, 'invalid_token', 'Invalid Value');
  ctx.user = record.email;
  const user = userOf(state, record.email)!;
  sendJson(res, 200, {
    azp: record.clientId,
    aud: record.clientId,
    sub: user.sub,
    scope: record.scopes.join(' '),
    exp: String(Math.floor(record.expiresAt / 1000)),
    expires_in: String(Math.floor((record.expiresAt - state.now()) / 1000)),
    email: record.email,
    email_verified: 'true',
    access_type: record.refreshToken ? 'offline' : 'online',
  });
}

export function handleCerts(
  state: FakeState,
  format: 'pem' | 'jwk',
  res: ServerResponse,
  ctx: RouteContext,
): void {
  ctx.operation = format === 'pem' ? 'oauth.certs.v1' : 'oauth.certs.v3';
  sendJson(res, 200, format === 'pem' ? state.keys.pemCerts : state.keys.jwks, {
    'cache-control': 'public, max-age=300, must-revalidate, no-transform',
  });
}
