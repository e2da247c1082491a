// Entra ID (login.microsoftonline.com) for confidential clients: OpenID and instance discovery the
// way MSAL asks for them, /authorize (auth code + PKCE; the browser leg is a plain GET answered
// with the redirect); /token (authorization_code, refresh_token) is in identity-token.ts.
// docs/providers.md, Microsoft 365 facts: tokens.
import type { ServerResponse } from 'node:http';

import { sendJson } from '../google/http-util.js';
import { aadError, bareScope, type FakeState, type FakeUser, newId } from './state.js';

export const OIDC = ['openid', 'profile', 'offline_access', 'email'];
export const GRAPH_SCOPES = new Set([
  'User.Read',
  'Mail.Read',
  'Mail.ReadBasic',
  'Mail.ReadWrite',
  'Mail.Send',
  'Mail.Read.Shared',
  'Mail.Send.Shared',
  'Mail.ReadWrite.Shared',
]);

export function tenantOk(s: FakeState, segment: string): boolean {
  return (
    segment === 'organizations' ||
    segment === 'common' ||
    segment === s.tenantId ||
    segment === 'contoso.example'
  );
}

export function openidConfiguration(s: FakeState, tenant: string, res: ServerResponse): void {
  if (!tenantOk(s, tenant))
    throw aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
  const base = `${s.origin}/${tenant}`;
  sendJson(res, 200, {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic',
    ],
    jwks_uri: `${s.origin}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    // Like the real multi-tenant document: the issuer names a placeholder, filled per token.
    issuer:
      tenant === s.tenantId ? `${s.origin}/${s.tenantId}/v2.0` : `${s.origin}/{tenantid}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${s.origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'oid',
    ],
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
  });
}
/** GET /common/discovery/instance — what MSAL asks for a host it does not know (when not in knownAuthorities). */
export function instanceDiscovery(s: FakeState, url: URL, res: ServerResponse): void {
  const host = new URL(s.origin).host;
  sendJson(res, 200, {
    tenant_discovery_endpoint: `${s.origin}/${s.tenantId}/v2.0/.well-known/openid-configuration`,
    'api-version': url.searchParams.get('api-version') ?? '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}

function redirectError(
  res: ServerResponse,
  redirectUri: string,
  state: string | null,
  error: string,
  description: string,
): void {
  const to = new URL(redirectUri);
  to.searchParams.set('error', error);
  to.searchParams.set('error_description', description);
  if (state !== null) to.searchParams.set('state', state);
  res.writeHead(302, { location: to.toString() });
  res.end();
}

export const clientInfo = (s: FakeState, u: FakeUser) =>
  Buffer.from(JSON.stringify({ uid: u.oid, utid: s.tenantId })).toString('base64url');

export function authorize(s: FakeState, tenant: string, url: URL, res: ServerResponse): void {
  const q = url.searchParams;
  if (!tenantOk(s, tenant))
    throw aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
  const app = s.apps.get(q.get('client_id') ?? '');
  if (!app)
    throw aadError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${q.get('client_id')}' was not found in the directory.`,
    );
  const redirectUri = q.get('redirect_uri') ?? '';
  // A redirect URI that is not registered is never redirected to (AADSTS50011 is shown to the user).
  if (!app.redirectUris.includes(redirectUri))
    throw aadError(
      400,
      'invalid_request',
      50011,
      'The redirect URI specified in the request does not match the redirect URIs configured for the application.',
    );
  const state = q.get('state');
  if (q.get('response_type') !== 'code')
    return redirectError(
      res,
      redirectUri,
      state,
      'unsupported_response_type',
      'AADSTS70005: response_type is not supported.',
    );
  const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
  if (scopes.length === 0)
    return redirectError(
      res,
      redirectUri,
      state,
      'invalid_request',
      "AADSTS900144: The request body must contain the following parameter: 'scope'.",
    );
  const unknown = scopes.map(bareScope).find((x) => !OIDC.includes(x) && !GRAPH_SCOPES.has(x));
  if (unknown)
    return redirectError(
      res,
      redirectUri,
      state,
      'invalid_client',
      `AADSTS650053: The application asked for scope '${unknown}' that doesn't exist on the resource.`,
    );
  const challenge = q.get('code_challenge') ?? undefined;
  const method = q.get('code_challenge_method');
  if (challenge && method !== 'S256')
    return redirectError(
      res,
      redirectUri,
      state,
      'invalid_request',
      'AADSTS501491: Invalid size of Code_Challenge parameter or code_challenge_method not S256.',
    );
  if (challenge && !/^[A-Za-z0-9_-]{43}$/.test(challenge))
    return redirectError(
      res,
      redirectUri,
      state,
      'invalid_request',
      'AADSTS501491: Invalid size of Code_Challenge parameter.',
    );
  if (s.consent.outcome === 'access_denied')
    return redirectError(
      res,
      redirectUri,
      state,
      'access_denied',
      'AADSTS65004: User declined to consent to access the app.',
    );
  if (s.consent.outcome === 'consent_required')
    return redirectError(
      res,
      redirectUri,
      state,
      'consent_required',
      'AADSTS65001: The user or administrator has not consented to use the application.',
    );
  const email = (q.get('login_hint') ?? s.consent.email ?? '').toLowerCase();
  const user = s.users.get(email);
  if (!user || user.shared)
    return redirectError(
      res,
      redirectUri,
      state,
      'access_denied',
      'AADSTS50034: The user account does not exist in this directory.',
    );
  const code = newId('0.A');
  s.codes.set(code, {
    oid: user.oid,
    clientId: app.clientId,
    redirectUri,
    scopes,
    codeChallenge: challenge,
    nonce: q.get('nonce') ?? undefined,
    expiresAt: s.now() + 10 * 60_000,
    used: false,
  });
  const to = new URL(redirectUri);
  to.searchParams.set('code', code);
  if (q.get('client_info') === '1') to.searchParams.set('client_info', clientInfo(s, user));
  if (state !== null) to.searchParams.set('state', state);
  to.searchParams.set('session_state', newId(''));
  res.writeHead(302, { location: to.toString() });
  res.end();
}
