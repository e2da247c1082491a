// The fake's shared in-memory state, handed to each route module.
import type { SigningKeys } from './keys.js';
import type { Mailbox } from './mailbox.js';

export interface OAuthClientRegistration {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export type ConsentOutcome = 'consent' | 'access_denied' | 'no_refresh_token' | 'partial_scopes';

export interface AuthCode {
  email: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined;
  issueRefreshToken: boolean;
  nonce: string | undefined;
  expiresAt: number;
  used: boolean;
}

export interface AccessTokenRecord {
  email: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  refreshToken: string | undefined;
}

export interface RefreshTokenRecord {
  email: string;
  clientId: string;
  scopes: string[];
}

export interface CallLogEntry {
  method: string;
  path: string;
  /** Mailbox the call was about (Gmail calls, token calls once the user is known). */
  user: string | undefined;
  status: number;
  /** Gmail operation name such as `users.history.list`, or `oauth.token`. */
  operation: string;
  at: number;
}

export interface InjectedError {
  status: number;
  reason?: string;
  /** Only calls of this operation (e.g. `users.messages.send`) consume this injection. */
  operation?: string;
}

export interface FakeState {
  now(): number;
  projectId: string;
  clients: Map<string, OAuthClientRegistration>;
  users: Map<string, Mailbox>;
  codes: Map<string, AuthCode>;
  accessTokens: Map<string, AccessTokenRecord>;
  refreshTokens: Map<string, RefreshTokenRecord>;
  /** `${email} ${clientId}` → scopes granted so far (include_granted_scopes, first-consent rule). */
  grants: Map<string, Set<string>>;
  refreshFailures: Set<string>;
  consent: {
    outcome: ConsentOutcome;
    email: string | undefined;
    grantScopes: string[] | undefined;
  };
  keys: SigningKeys;
  calls: CallLogEntry[];
  injected: Map<string, { errors: InjectedError[]; remaining: number; next: number }>;
  quota: Map<string, { at: number; units: number }[]>;
  quotaPerUserPerMinute: number;
  accessTokenTtlSec: number;
  historyGaps: boolean;
  historyMessageLabelIds: boolean;
  dailySendLimit: number;
  sentToday: Map<string, number[]>;
  sent: Map<string, SentRecord[]>;
}

export interface SentRecord {
  id: string;
  threadId: string;
  raw: Buffer;
  requestedThreadId: string | undefined;
  /** Why a requested threadId was not honoured (docs/providers.md, Gmail facts: threading on send),
   *  when it was not. */
  threadingRejected: string | undefined;
  at: number;
}

export function userOf(state: FakeState, email: string): Mailbox | undefined {
  return state.users.get(email.toLowerCase());
}
