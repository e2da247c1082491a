// Gmail's part of the consent flow (src/oauth/consent-flow.ts owns state, PKCE, storage and the
// return redirect): Google's consent URL, the code exchange and identification, and the steps after
// the mailbox is stored (seed the access-token cache, start the watch).
import type { Logger } from '../../lib/logger.js';
import type { Db } from '../../store/db.js';
import { setPushChannel } from '../../store/mailbox-store.js';
import { toProviderError } from '../provider-errors.js';
import type { ConsentAdapter } from '../provider-module.js';
import { google } from './gmail-api.js';
import { cacheAccessToken, makeOAuthClient } from './gmail-client.js';
import { makeGmailProvider } from './gmail-provider.js';
import type { GmailProcessRuntime } from './gmail-runtime.js';
import { GMAIL_SCOPES, type GmailCredentials } from './gmail-settings.js';

/** Stable outcome codes of a Gmail consent (redirect `error=` values and page text). */
export const failureText: Record<string, string> = {
  not_configured: 'Gmail is not set up on this Inlet (no Google OAuth client is configured).',
  state_invalid:
    'This sign-in link is not valid. Start connecting the mailbox again from your helpdesk.',
  state_used:
    'This sign-in link was already used. Start connecting the mailbox again from your helpdesk.',
  state_expired:
    'This sign-in link expired (links are valid for 10 minutes). Start again from your helpdesk.',
  access_denied:
    "Access was not granted on Google's consent screen, so the mailbox was not connected.",
  consent_failed: 'Google did not complete the consent. Start again from your helpdesk.',
  token_exchange_failed:
    'Google refused to issue access for this sign-in. Start again from your helpdesk.',
  no_refresh_token:
    'Google did not grant offline access, so Inlet could not keep the mailbox in sync. Start again and allow access.',
  scope_missing:
    'Both permissions are needed: reading mail (to create tickets) and sending mail (to send replies). Start again and tick both boxes.',
  google_unavailable: 'Google could not be reached. Try again in a few minutes.',
  address_in_use:
    'This address is already connected to your helpdesk in another way (for example IMAP). Disconnect it first.',
};

type GmailGrant = {
  address: string;
  refreshToken: string;
  accessToken: string;
  expiryDate: number;
  scopes: string[];
};

async function exchangeAndIdentify(
  rt: GmailProcessRuntime,
  code: string,
  codeVerifier: string,
  log: Logger,
): Promise<GmailGrant | { fail: string }> {
  const auth = makeOAuthClient(rt.client);
  let tokens;
  try {
    ({ tokens } = await auth.getToken({ code, codeVerifier }));
  } catch (err) {
    const status = (err as { response?: { status?: number } }).response?.status;
    log.warn({ status }, 'google code exchange failed');
    return {
      fail: status !== undefined && status < 500 ? 'token_exchange_failed' : 'google_unavailable',
    };
  }
  const scopes = (tokens.scope ?? '').split(' ').filter(Boolean);
  const unusable = !tokens.refresh_token
    ? 'no_refresh_token'
    : GMAIL_SCOPES.some((s) => !scopes.includes(s))
      ? 'scope_missing'
      : null;
  if (unusable || !tokens.access_token) {
    // Nothing will use this grant: hand it back rather than leave it live at Google.
    await auth
      .revokeToken(tokens.refresh_token ?? tokens.access_token ?? '')
      .catch(() => undefined);
    return { fail: unusable ?? 'token_exchange_failed' };
  }
  auth.setCredentials(tokens);
  try {
    const gmail = google.gmail({
      version: 'v1',
      auth,
      rootUrl: rt.client.endpoints.gmailApiUrl,
      retry: false,
    });
    const profile = await gmail.users.getProfile({ userId: 'me' });
    if (!profile.data.emailAddress) return { fail: 'google_unavailable' };
    return {
      address: profile.data.emailAddress.toLowerCase(),
      refreshToken: tokens.refresh_token!,
      accessToken: tokens.access_token,
      expiryDate: tokens.expiry_date ?? Date.now() + 3000_000,
      scopes,
    };
  } catch (err) {
    log.warn(
      { errorClass: toProviderError(err, 'getProfile').kind },
      'google getProfile failed after consent',
    );
    return { fail: 'google_unavailable' };
  }
}

/**
 * users.watch and the channel's expiry on the mailbox row. A failure is logged, not fatal: the
 * catch-up poll keeps the mailbox current and the renewal job tries the watch again.
 */
async function startGmailWatch(
  db: Db,
  rt: GmailProcessRuntime,
  creds: GmailCredentials,
  log: Logger,
): Promise<boolean> {
  if (!rt.topicName) return false;
  const provider = makeGmailProvider(creds, { gmail: rt, logger: log });
  try {
    const channel = await provider.startPush!({ topicName: rt.topicName });
    await db.tenantTx(creds.tenantId, (ex) =>
      setPushChannel(ex, creds.tenantId, creds.mailboxId, channel, new Date(channel.expiresAt)),
    );
    return true;
  } catch (err) {
    log.warn(
      { mailbox: creds.mailboxId, errorClass: toProviderError(err, 'watch').kind },
      'gmail watch could not be started',
    );
    return false;
  } finally {
    await provider.close();
  }
}

export const gmailConsent: ConsentAdapter<GmailProcessRuntime, GmailCredentials> = {
  scopes: GMAIL_SCOPES,
  failureText,
  title: { ok: 'Gmail mailbox connected', failed: 'Gmail mailbox not connected' },

  authorizationUrl(rt, req) {
    return makeOAuthClient(rt.client).generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: [...GMAIL_SCOPES],
      state: req.state,
      code_challenge: req.codeChallenge,
      code_challenge_method: 'S256' as never,
      ...(req.loginHint ? { login_hint: req.loginHint } : {}),
    });
  },

  async exchange(rt, req) {
    const got = await exchangeAndIdentify(rt, req.code, req.codeVerifier, req.logger);
    if ('fail' in got) return got;
    return {
      address: got.address,
      settings: (ids) => ({
        v: 1,
        tenantId: ids.tenantId,
        mailboxId: ids.mailboxId,
        address: got.address,
        refreshToken: got.refreshToken,
        scopes: got.scopes,
      }),
      async connected({ db, logger, settings }) {
        // The first sync then needs no token refresh.
        cacheAccessToken(rt, got.refreshToken, got.accessToken, got.expiryDate);
        await startGmailWatch(db, rt, settings, logger);
      },
    };
  },
};
