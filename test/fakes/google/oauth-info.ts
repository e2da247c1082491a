// Google's grant revocation, userinfo, tokeninfo and signing certs (docs/providers.md, Gmail facts).
import type { IncomingMessage, ServerResponse } from 'node:http';

import { oauthError, sendJson } from './http-util.js';
import { grantKey, IDENTITY, type RouteContext } from './oauth.js';
import type { FakeState } from './state.js';
import { userOf } from './state.js';

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
