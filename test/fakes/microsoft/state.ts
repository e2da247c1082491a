// The Microsoft fake's in-memory state and Graph's error shape (docs/providers.md, Microsoft 365
// facts: errors), shared by the identity, mail and subscription route files.
import { randomBytes, randomUUID } from 'node:crypto';

import { HttpError } from '../google/http-util.js';

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface FakeMessage {
  /** Immutable id (Prefer: IdType="ImmutableId") and the default id, which Exchange changes on a move. */
  immutableId: string;
  restId: string;
  folder: 'inbox' | 'sentitems' | 'drafts';
  internetMessageId: string | null;
  conversationId: string;
  receivedDateTime: string;
  subject: string;
  mime: Buffer;
  /** Change sequence within the mailbox: delta tokens remember the last one they covered. */
  seq: number;
  removed: boolean;
  /** Draft-only: file attachments added by POST /attachments or upload sessions. */
  attachments: {
    name: string;
    contentType: string;
    content: Buffer;
    via: 'attachment' | 'uploadSession';
  }[];
}

export interface FakeUser {
  oid: string;
  email: string;
  displayName: string;
  /** Shared mailboxes have no sign-in of their own; `delegates` holds the oids given Full Access / Send As. */
  shared: boolean;
  delegates: Set<string>;
  messages: FakeMessage[];
  seq: number;
  /** Delta tokens issued for this mailbox die when this moves past them (cache eviction). */
  deltaEpoch: number;
}

export interface AccessToken {
  oid: string;
  issuedAt: number;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

export interface RefreshToken {
  oid: string;
  issuedAt: number;
  clientId: string;
  scopes: string[];
}

export interface AuthCode {
  oid: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | undefined;
  nonce: string | undefined;
  expiresAt: number;
  used: boolean;
}

export interface Subscription {
  id: string;
  oid: string;
  /** Mailbox the resource names. */
  mailbox: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationDateTime: number;
  clientId: string;
}

export interface SentRecord {
  /** How it was sent: MIME sendMail, or a draft made from MIME then sent (large messages). */
  via: 'sendMail' | 'draft';
  mime: Buffer;
  attachments: {
    name: string;
    size: number;
    via: 'attachment' | 'uploadSession';
    content: Buffer;
  }[];
  internetMessageId: string | null;
  /** Sent Items copy (immutable id). */
  id: string;
}

export interface CallLogEntry {
  method: string;
  path: string;
  mailbox: string | undefined;
  status: number;
  at: number;
}

export type ConsentOutcome = 'consent' | 'access_denied' | 'consent_required';

export interface Injected {
  status: 429 | 503 | 500;
  retryAfterSec: number | null;
  remaining: number;
}

export interface FakeState {
  now(): number;
  tenantId: string;
  apps: Map<string, AppRegistration>;
  users: Map<string, FakeUser>;
  byOid: Map<string, FakeUser>;
  codes: Map<string, AuthCode>;
  accessTokens: Map<string, AccessToken>;
  refreshTokens: Map<string, RefreshToken>;
  /** When each user's sessions were revoked: tokens issued before answer invalid_grant / 401; a new sign-in works. */
  revoked: Map<string, number>;
  consent: { outcome: ConsentOutcome; email: string | undefined };
  accessTokenTtlSec: number;
  subscriptions: Map<string, Subscription>;
  maxSubscriptionMinutes: number;
  sent: Map<string, SentRecord[]>;
  injected: Map<string, Injected>;
  calls: CallLogEntry[];
  /** Per (app, mailbox) throttle (docs/providers.md, Microsoft 365 facts). */
  throttle: { windowMs: number; maxRequests: number; concurrency: number };
  inFlight: Map<string, number>;
  requestTimes: Map<string, number[]>;
  origin: string;
}

export const newId = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
export const guid = () => randomUUID();

/** `{"error":{"code","message","innerError":{…}}}` — Graph's error body. */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpError {
  return new HttpError(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': guid(),
          'client-request-id': guid(),
        },
      },
    },
    headers,
  );
}

/** Entra ID token endpoint errors (docs/providers.md, Microsoft fake): error, error_description
 *  with the AADSTS number, error_codes. */
export function aadError(
  status: number,
  error: string,
  aadsts: number,
  text: string,
  suberror?: string,
): HttpError {
  return new HttpError(status, {
    error,
    error_description: `AADSTS${aadsts}: ${text} Trace ID: ${guid()} Correlation ID: ${guid()} Timestamp: ${new Date().toISOString()}`,
    error_codes: [aadsts],
    timestamp: new Date().toISOString(),
    trace_id: guid(),
    correlation_id: guid(),
    ...(suberror ? { suberror } : {}),
  });
}

export const GRAPH_PREFIX = 'https://graph.microsoft.com/';
/** Scope names as Graph reports them (bare), whether requested bare or with the resource prefix. */
export const bareScope = (s: string) =>
  s.toLowerCase().startsWith(GRAPH_PREFIX) ? s.slice(GRAPH_PREFIX.length) : s;
