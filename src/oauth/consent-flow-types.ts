// The consent flow's public shape: what routes call and the outcomes they render.
import type { ProviderKind } from '../providers/provider-kind.js';
import type { ConsentOptions } from '../providers/provider-module.js';
import type { Actor } from '../tenancy/actor.js';
import type { BROWSER_MISMATCH, LINK_USED } from './browser-binding.js';
import type { ADDRESS_ELSEWHERE } from './consent-binding.js';

/** Outcome codes the flow itself produces; adapters add their own (e.g. a provider being down). */
export type FlowFailure =
  | 'not_configured'
  | 'state_invalid'
  | 'state_used'
  | 'state_expired'
  | 'access_denied'
  | 'consent_failed'
  | 'address_in_use'
  | typeof ADDRESS_ELSEWHERE
  | typeof BROWSER_MISMATCH
  | typeof LINK_USED;

export interface CallbackQuery {
  state?: string | undefined;
  code?: string | undefined;
  error?: string | undefined;
}

export type CallbackResult =
  | { ok: true; returnUrl: string; mailboxId: string; outcome: 'created' | 'reauthorized' }
  | { ok: false; code: string; returnUrl: string | null };

export type OpenResult =
  | { ok: true; authorizationUrl: string; setCookie: string }
  | { ok: false; code: string; returnUrl: string | null };

export interface ConsentFlow {
  /** Whether this provider's consent can run here (its OAuth client is configured). */
  configured(kind: ProviderKind): boolean;
  /** Texts and titles of this provider's callback page. */
  texts(kind: ProviderKind): {
    failureText: Readonly<Record<string, string>>;
    title: { ok: string; failed: string };
  };
  /** `options` are the provider's own (ConsentAdapter.options); an unknown or invalid one is a 400. */
  start(
    kind: ProviderKind,
    actor: Actor,
    input: {
      returnUrl: string;
      loginHint?: string | undefined;
      options?: ConsentOptions | undefined;
    },
  ): Promise<{ consentUrl: string; expiresAt: string }>;
  /** The consent URL opened in a browser: binds that browser, answers the provider's URL. */
  open(state: string): Promise<OpenResult>;
  /** The Set-Cookie that removes a state's binding cookie (null for no valid-looking state). */
  clearCookie(state: string | undefined): string | null;
  /** `cookies` is the browser's Cookie header (the binding set by `open`). */
  callback(
    kind: ProviderKind,
    query: CallbackQuery,
    cookies: string | undefined,
  ): Promise<CallbackResult>;
}
