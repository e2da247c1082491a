// Microsoft's part of the consent flow (src/oauth/consent-flow.ts owns state, PKCE, storage and the
// return redirect): the Entra ID authorization URL, the code exchange through MSAL, identification of
// the mailbox (the user's own, or a shared mailbox they named and can open), and, once stored, the
// inbox subscription. Delegated scopes only (docs/providers.md, Microsoft 365 facts: permissions).
import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';

import type { Logger } from '../../lib/logger.js';
import type { Db } from '../../store/db.js';
import { setPushChannel } from '../../store/mailbox-store.js';
import { toProviderError } from '../provider-errors.js';
import type { ConsentAdapter } from '../provider-module.js';
import { makeGraphClient, type MicrosoftRuntime, noLibraryRetry } from './graph-session.js';
import { makeMicrosoftProvider } from './microsoft-provider.js';
import {
  MICROSOFT_DRAFT_SCOPE,
  MICROSOFT_SCOPES,
  MICROSOFT_SHARED_SCOPES,
  type MicrosoftCredentials,
} from './microsoft-settings.js';
import { makeMsalApp } from './msal-app.js';

/** Stable outcome codes of a Microsoft consent (redirect `error=` values and page text). */
export const failureText: Record<string, string> = {
  not_configured: 'Microsoft 365 is not set up on this Inlet (no app registration is configured).',
  state_invalid:
    'This sign-in link is not valid. Start connecting the mailbox again from your helpdesk.',
  state_used:
    'This sign-in link was already used. Start connecting the mailbox again from your helpdesk.',
  state_expired:
    'This sign-in link expired (links are valid for 10 minutes). Start again from your helpdesk.',
  access_denied:
    "Access was not granted on Microsoft's consent screen, so the mailbox was not connected.",
  consent_failed:
    'Microsoft did not complete the consent. If your organisation requires it, ask an administrator to grant consent for Inlet, then start again.',
  token_exchange_failed:
    'Microsoft refused to issue access for this sign-in. Start again from your helpdesk.',
  scope_missing:
    'Reading mail (to create tickets) and sending mail (to send replies) are both needed. Start again and accept both.',
  shared_mailbox_denied:
    'The account that signed in cannot open the shared mailbox that was named (Full Access and Send As are needed).',
  microsoft_unavailable: 'Microsoft could not be reached. Try again in a few minutes.',
  address_in_use:
    'This address is already connected to your helpdesk in another way (for example IMAP). Disconnect it first.',
};

export const scopesFor = (rt: MicrosoftRuntime, shared: boolean): string[] => [
  ...(shared ? MICROSOFT_SHARED_SCOPES : MICROSOFT_SCOPES),
  ...(rt.client.largeReplies ? [MICROSOFT_DRAFT_SCOPE] : []),
];

const emailLike = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,255}$/;

/** The authorize URL MSAL's getAuthCodeUrl would build for an AAD authority, built here because the
 *  consent adapter answers synchronously: MSAL adds openid, profile, offline_access and client_info. */
function authorizeUrl(
  rt: MicrosoftRuntime,
  req: { state: string; codeChallenge: string; loginHint?: string | undefined },
  scopes: string[],
): string {
  const url = new URL(`${rt.client.authority.replace(/\/$/, '')}/oauth2/v2.0/authorize`);
  const q = url.searchParams;
  q.set('client_id', rt.client.clientId);
  q.set('scope', [...scopes, 'openid', 'profile', 'offline_access'].join(' '));
  q.set('redirect_uri', rt.client.redirectUri);
  q.set('response_type', 'code');
  q.set('response_mode', 'query');
  q.set('client_info', '1');
  q.set('prompt', 'select_account');
  q.set('state', req.state);
  q.set('code_challenge', req.codeChallenge);
  q.set('code_challenge_method', 'S256');
  if (req.loginHint) q.set('login_hint', req.loginHint);
  return url.toString();
}

interface Me {
  id?: string;
  mail?: string | null;
  userPrincipalName?: string;
}

interface Identified {
  address: string;
  userObjectId: string;
  homeAccountId: string;
  scopes: string[];
  tokenCache: string;
}

async function exchange(
  rt: MicrosoftRuntime,
  code: string,
  codeVerifier: string,
  shared: string | null,
  log: Logger,
): Promise<Identified | { fail: string }> {
  let cacheJson = '';
  const app = makeMsalApp(rt.client, {
    read: () => cacheJson,
    write: async (json) => {
      cacheJson = json;
    },
  });
  const scopes = scopesFor(rt, shared !== null);
  let result;
  try {
    result = await app.acquireTokenByCode({
      code,
      codeVerifier,
      scopes,
      redirectUri: rt.client.redirectUri,
    });
  } catch (err) {
    log.warn(
      { errorCode: (err as { errorCode?: string }).errorCode },
      'microsoft code exchange failed',
    );
    return {
      fail:
        err instanceof ServerError || err instanceof InteractionRequiredAuthError
          ? 'token_exchange_failed'
          : 'microsoft_unavailable',
    };
  }
  const granted = result.scopes.map((s) => s.replace(/^https:\/\/graph\.microsoft\.com\//i, ''));
  if (
    !result.account ||
    scopes.some((s) => !granted.some((g) => g.toLowerCase() === s.toLowerCase()))
  )
    return { fail: 'scope_missing' };
  const client = makeGraphClient(rt.client, async () => result.accessToken);
  try {
    const me = (await client
      .api('/me')
      .select('id,mail,userPrincipalName')
      .middlewareOptions(noLibraryRetry())
      .get()) as Me;
    const own = (me.mail ?? me.userPrincipalName ?? '').toLowerCase();
    if (!me.id || !own) return { fail: 'microsoft_unavailable' };
    if (shared) {
      try {
        await client
          .api(`/users/${encodeURIComponent(shared)}/mailFolders/inbox`)
          .select('id')
          .middlewareOptions(noLibraryRetry())
          .get();
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 403 || status === 404) return { fail: 'shared_mailbox_denied' };
        throw err;
      }
    }
    return {
      address: shared ?? own,
      userObjectId: me.id,
      homeAccountId: result.account.homeAccountId,
      scopes: granted,
      tokenCache: cacheJson,
    };
  } catch (err) {
    log.warn(
      { errorClass: toProviderError(err, 'graph /me').kind },
      'graph identification failed after consent',
    );
    return { fail: 'microsoft_unavailable' };
  }
}

/** The inbox subscription and its expiry on the row. A failure is logged, not fatal: the catch-up poll
 *  keeps the mailbox current and the subscription task tries again. */
async function subscribe(
  db: Db,
  rt: MicrosoftRuntime,
  creds: MicrosoftCredentials,
  log: Logger,
): Promise<void> {
  if (creds.shared) return;
  const provider = makeMicrosoftProvider(creds, { microsoft: rt, logger: log });
  try {
    const channel = await provider.startPush!({});
    await db.tenantTx(creds.tenantId, (ex) =>
      setPushChannel(ex, creds.tenantId, creds.mailboxId, channel, new Date(channel.expiresAt)),
    );
  } catch (err) {
    log.warn(
      { mailbox: creds.mailboxId, errorClass: toProviderError(err, 'subscribe').kind },
      'graph subscription could not be created',
    );
  } finally {
    await provider.close();
  }
}

export const microsoftConsent: ConsentAdapter<MicrosoftRuntime, MicrosoftCredentials> = {
  scopes: [...MICROSOFT_SCOPES, 'offline_access'],
  failureText,
  title: { ok: 'Microsoft 365 mailbox connected', failed: 'Microsoft 365 mailbox not connected' },
  options: {
    shared_mailbox: (value: string) => (emailLike.test(value) ? value.toLowerCase() : null),
  },

  authorizationUrl: (rt, req) =>
    authorizeUrl(rt, req, scopesFor(rt, Boolean(req.options?.shared_mailbox))),

  async exchange(rt, req) {
    const shared = req.options?.shared_mailbox ?? null;
    const got = await exchange(rt, req.code, req.codeVerifier, shared, req.logger);
    if ('fail' in got) return got;
    return {
      address: got.address,
      settings: (ids) => ({
        v: 1,
        tenantId: ids.tenantId,
        mailboxId: ids.mailboxId,
        address: got.address,
        shared: shared !== null,
        userObjectId: got.userObjectId,
        homeAccountId: got.homeAccountId,
        scopes: got.scopes,
        tokenCache: got.tokenCache,
        push: null,
      }),
      connected: ({ db, logger, settings }) => subscribe(db, rt, settings, logger),
    };
  },
};
