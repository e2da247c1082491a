// Entra ID /token for confidential clients: authorization_code (with PKCE) and refresh_token grants,
// ID tokens and client_info the way MSAL reads them. docs/providers.md, Microsoft 365 facts: tokens.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendJson } from '../google/http-util.js';
import { clientInfo, GRAPH_SCOPES, OIDC, tenantOk } from './identity.js';
import { aadError, bareScope, type FakeState, type FakeUser, newId } from './state.js';

function idToken(s: FakeState, u: FakeUser, clientId: string, nonce: string | undefined): string {
  const now = Math.floor(s.now() / 1000);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  // MSAL decodes the claims and checks the nonce; it does not verify the signature
  // (docs/providers.md, Microsoft fake).
  return `${enc({ typ: 'JWT', alg: 'RS256', kid: 'fake-key' })}.${enc({
    aud: clientId,
    iss: `${s.origin}/${s.tenantId}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + 3600,
    name: u.displayName,
    oid: u.oid,
    preferred_username: u.email,
    sub: createHash('sha256')
      .update(u.oid + clientId)
      .digest('base64url'),
    tid: s.tenantId,
    ver: '2.0',
    ...(nonce ? { nonce } : {}),
  })}.${randomBytes(32).toString('base64url')}`;
}

function issue(
  s: FakeState,
  res: ServerResponse,
  u: FakeUser,
  clientId: string,
  granted: string[],
  requested: string[],
  nonce: string | undefined,
): void {
  const accessToken = newId('eyJ0eXAiOiJKV1Qi.');
  const graph = granted.map(bareScope).filter((x) => GRAPH_SCOPES.has(x));
  s.accessTokens.set(accessToken, {
    oid: u.oid,
    issuedAt: s.now(),
    clientId,
    scopes: graph,
    expiresAt: s.now() + s.accessTokenTtlSec * 1000,
  });
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: [...graph, ...requested.filter((x) => OIDC.includes(x) && x !== 'offline_access')].join(
      ' ',
    ),
    expires_in: s.accessTokenTtlSec,
    ext_expires_in: s.accessTokenTtlSec,
    access_token: accessToken,
    client_info: clientInfo(s, u),
  };
  if (requested.includes('offline_access')) {
    const rt = newId('1.AQ');
    s.refreshTokens.set(rt, { oid: u.oid, issuedAt: s.now(), clientId, scopes: granted });
    body.refresh_token = rt;
  }
  if (requested.includes('openid')) body.id_token = idToken(s, u, clientId, nonce);
  sendJson(res, 200, body, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
}

export function token(
  s: FakeState,
  tenant: string,
  req: IncomingMessage,
  raw: Buffer,
  res: ServerResponse,
  ctx: { mailbox?: string },
): void {
  if (!tenantOk(s, tenant))
    throw aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    throw aadError(
      400,
      'invalid_request',
      900144,
      "The request body must contain the following parameter: 'grant_type'.",
    );
  }
  const f = new URLSearchParams(raw.toString('utf8'));
  const app = s.apps.get(f.get('client_id') ?? '');
  if (!app)
    throw aadError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${f.get('client_id')}' was not found in the directory.`,
    );
  if (f.get('client_secret') !== app.clientSecret)
    throw aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
  const requested = (f.get('scope') ?? '').split(' ').filter(Boolean);
  const grantType = f.get('grant_type');
  if (grantType === 'authorization_code') {
    const code = s.codes.get(f.get('code') ?? '');
    if (!code || code.clientId !== app.clientId || code.expiresAt < s.now())
      throw aadError(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity.',
      );
    if (code.used)
      throw aadError(
        400,
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    code.used = true;
    if (f.get('redirect_uri') !== code.redirectUri)
      throw aadError(
        400,
        'invalid_grant',
        50148,
        'The redirect_uri does not match the one used in the authorization request.',
      );
    if (code.codeChallenge) {
      const verifier = f.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
        throw aadError(
          400,
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    } else if (f.has('code_verifier'))
      throw aadError(
        400,
        'invalid_grant',
        501481,
        'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
      );
    const u = s.byOid.get(code.oid)!;
    ctx.mailbox = u.email;
    return issue(
      s,
      res,
      u,
      app.clientId,
      code.scopes,
      requested.length ? requested : code.scopes,
      code.nonce,
    );
  }
  if (grantType === 'refresh_token') {
    const rt = s.refreshTokens.get(f.get('refresh_token') ?? '');
    if (!rt || rt.clientId !== app.clientId)
      throw aadError(
        400,
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid.',
      );
    const u = s.byOid.get(rt.oid)!;
    ctx.mailbox = u.email;
    if ((s.revoked.get(u.oid) ?? -1) >= rt.issuedAt)
      throw aadError(
        400,
        'invalid_grant',
        50173,
        'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
      );
    const want = requested.map(bareScope).filter((x) => !OIDC.includes(x));
    const granted = rt.scopes.map(bareScope);
    const missing = want.find((x) => !granted.includes(x));
    if (missing)
      throw aadError(
        400,
        'invalid_grant',
        65001,
        `The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.`,
        'consent_required',
      );
    return issue(
      s,
      res,
      u,
      app.clientId,
      rt.scopes,
      requested.length ? requested : rt.scopes,
      undefined,
    );
  }
  throw aadError(
    400,
    'unsupported_grant_type',
    70003,
    `The app requested an unsupported grant type '${grantType ?? ''}'.`,
  );
}
