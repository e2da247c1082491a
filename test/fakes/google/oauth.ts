// Google OAuth 2.0 web-server flow (docs/providers.md, Gmail facts): the consent screen. The token
// endpoint is in oauth-token.ts; revocation, tokeninfo, userinfo and the signing certs in oauth-info.ts.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import { HttpError, queryParams, sendEmpty, sendHtml } from './http-util.js';
import type { AuthCode, FakeState } from './state.js';
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
export const IDENTITY = new Set(['openid', `${G}userinfo.email`, `${G}userinfo.profile`]);
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

export const token = (prefix: string) => prefix + randomBytes(24).toString('base64url');
export const grantKey = (email: string, clientId: string) => `${email} ${clientId}`;

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
