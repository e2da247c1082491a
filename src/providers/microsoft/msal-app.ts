// MSAL ConfidentialClientApplication per mailbox, with a cache plugin over the mailbox's sealed
// credentials: MSAL's token cache (the refresh token lives only there, docs/providers.md, Microsoft
// 365 facts: tokens) is read from the credentials before each cache access and written back,
// sealed, whenever MSAL changed it. Errors that mean "the user must consent again" become
// ProviderError auth_revoked.
import {
  ConfidentialClientApplication,
  type ICachePlugin,
  InteractionRequiredAuthError,
  ServerError,
  type TokenCacheContext,
} from '@azure/msal-node';

import { ProviderError } from '../provider-errors.js';
import type { MicrosoftClientConfig } from './microsoft-settings.js';

/** Where one mailbox's serialised cache comes from and goes to. */
export interface CacheStore {
  read(): string;
  write(json: string): Promise<void>;
}

const knownMicrosoftHosts = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.microsoft.com',
]);

export function makeMsalApp(
  c: MicrosoftClientConfig,
  cache?: CacheStore,
): ConfidentialClientApplication {
  const host = new URL(c.authority).host;
  const plugin: ICachePlugin | undefined = cache && {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      const json = cache.read();
      if (json) ctx.tokenCache.deserialize(json);
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (ctx.cacheHasChanged) await cache.write(ctx.tokenCache.serialize());
    },
  };
  return new ConfidentialClientApplication({
    auth: {
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      authority: c.authority,
      // Hosts MSAL has no built-in metadata for (a sovereign cloud it does not list, the test fake):
      // trust the configured host instead of asking login.microsoftonline.com about it.
      ...(knownMicrosoftHosts.has(host) ? {} : { knownAuthorities: [host] }),
    },
    ...(plugin ? { cache: { cachePlugin: plugin } } : {}),
    system: {
      loggerOptions: { piiLoggingEnabled: false, logLevel: 0, loggerCallback: () => undefined },
    },
  });
}

const REAUTH_CODES = new Set([
  'invalid_grant',
  'interaction_required',
  'consent_required',
  'login_required',
  'no_tokens_found',
  'no_account_in_silent_request',
]);

/** InteractionRequired and invalid_grant from a silent call mean re-consent; the rest may pass. */
export function msalError(err: unknown, what: string): ProviderError {
  if (
    err instanceof InteractionRequiredAuthError ||
    (err instanceof ServerError && REAUTH_CODES.has(err.errorCode))
  ) {
    return new ProviderError(
      'auth_revoked',
      `${what}: the grant needs consent again (${(err as { errorCode: string }).errorCode})`,
      { cause: err },
    );
  }
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  if (typeof code === 'string' && REAUTH_CODES.has(code))
    return new ProviderError('auth_revoked', `${what}: ${code}`, { cause: err });
  if (err instanceof ServerError)
    return new ProviderError('permanent', `${what} failed (${err.errorCode})`, { cause: err });
  return new ProviderError('transient', `${what} failed`, { cause: err });
}
