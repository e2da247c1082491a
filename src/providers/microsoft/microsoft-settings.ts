// What a Microsoft 365 mailbox stores (sealed under its data key in mailboxes.credentials_ct) and what
// every Microsoft provider instance needs from the process (app registration, hosts, limits).

/** Delegated Graph permissions (docs/providers.md, Microsoft 365 facts: permissions), the fewest
 *  that work; MSAL adds openid, profile and offline_access (the refresh token) to every request. */
export const MICROSOFT_SCOPES = ['User.Read', 'Mail.Read', 'Mail.Send'] as const;
/** A shared mailbox the consenting user has Full Access / Send As on. */
export const MICROSOFT_SHARED_SCOPES = [
  'User.Read',
  'Mail.Read',
  'Mail.Send',
  'Mail.Read.Shared',
  'Mail.Send.Shared',
] as const;
/** Needed only for replies over Graph's 4 MB request limit (draft → upload session → send); opt-in. */
export const MICROSOFT_DRAFT_SCOPE = 'Mail.ReadWrite';

export interface MicrosoftCredentials {
  v: 1;
  tenantId: string;
  mailboxId: string;
  /** The mailbox synced and sent from: the user's own, or the shared mailbox they named. */
  address: string;
  /** true: `address` is a shared mailbox reached through `/users/{address}` with the .Shared scopes. */
  shared: boolean;
  /** Entra object id of the consenting user (subscriptions are keyed by it, never by UPN). */
  userObjectId: string;
  /** MSAL account id `<uid>.<utid>` for acquireTokenSilent. */
  homeAccountId: string;
  scopes: string[];
  /** MSAL's serialised token cache (holds the refresh token); "" after disconnect. */
  tokenCache: string;
  /** The live subscription and its clientState (random per subscription, compared on every notification). */
  push: { subscriptionId: string; clientState: string } | null;
}

export interface MicrosoftClientConfig {
  clientId: string;
  clientSecret: string;
  /** e.g. https://login.microsoftonline.com/organizations (or a tenant id, or a sovereign cloud host). */
  authority: string;
  /** Graph root, e.g. https://graph.microsoft.com (v1.0 is appended per call). */
  graphUrl: string;
  redirectUri: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  /** Longest subscription lifetime asked for (Outlook messages: at most 10,080 minutes). */
  subscriptionMinutes: number;
  /** Ask for Mail.ReadWrite too, so replies over 4 MB can go through a draft. */
  largeReplies: boolean;
}

/** Outlook's per app+mailbox limits (docs/providers.md, Microsoft 365 facts) and how long one call
 *  may wait on Retry-After. */
export interface GraphLimits {
  concurrency: number;
  maxRequests: number;
  windowMs: number;
  /** Attempts per call, the first included. */
  attempts: number;
  /** Longest single wait inside a call; a longer Retry-After ends the call as rate_limited. */
  maxWaitMs: number;
  /** Wait when a 429/503 carries no Retry-After. */
  baseMs: number;
}

export const defaultLimits: GraphLimits = {
  concurrency: 4,
  maxRequests: 10_000,
  windowMs: 600_000,
  attempts: 5,
  maxWaitMs: 30_000,
  baseMs: 1000,
};

export function parseMicrosoftCredentials(json: string): MicrosoftCredentials {
  const c = JSON.parse(json) as Partial<MicrosoftCredentials>;
  if (
    c.v !== 1 ||
    typeof c.homeAccountId !== 'string' ||
    typeof c.mailboxId !== 'string' ||
    typeof c.tenantId !== 'string' ||
    typeof c.tokenCache !== 'string'
  ) {
    throw new Error('stored Microsoft credentials have an unknown shape');
  }
  return c as MicrosoftCredentials;
}

/** Graph path of the mailbox: the signed-in user's own, or the shared one by address. */
export const mailboxPath = (c: Pick<MicrosoftCredentials, 'shared' | 'address'>) =>
  c.shared ? `/users/${encodeURIComponent(c.address)}` : '/me';
