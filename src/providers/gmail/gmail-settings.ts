import type { QuotaRate } from '../quota-pacer.js';

// What a Gmail mailbox stores (sealed under its data key, in mailboxes.credentials_ct) and what every
// Gmail provider instance needs from the process (client registration, endpoints, shared caches).

export const GMAIL_READONLY = 'https://www.googleapis.com/auth/gmail.readonly';
export const GMAIL_SEND = 'https://www.googleapis.com/auth/gmail.send';
/** Read the inbox (history, messages, profile, watch) and send replies — nothing that can modify or
 *  delete mail. gmail.modify would also cover send but lets the grant change every message. */
export const GMAIL_SCOPES = [GMAIL_READONLY, GMAIL_SEND] as const;

export interface GmailCredentials {
  v: 1;
  /** The ids the sealed blob belongs to (also bound by its AAD); the token source reports on them. */
  tenantId: string;
  mailboxId: string;
  address: string;
  refreshToken: string;
  scopes: string[];
}

export interface GoogleEndpoints {
  authUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  gmailApiUrl: string;
}

export interface GoogleClientConfig {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  endpoints: GoogleEndpoints;
}

/** Retry timing for rate limits and 5xx inside one provider call (tests shorten it). */
export interface GmailBackoff {
  /** First wait when Google gives no Retry-After. */
  baseMs: number;
  /** Longest single wait inside a call; a longer Retry-After ends the call as rate_limited. */
  maxWaitMs: number;
  /** Attempts per call, the first included. */
  attempts: number;
}

export const defaultBackoff: GmailBackoff = { baseMs: 1000, maxWaitMs: 16_000, attempts: 4 };

export function parseGmailCredentials(json: string): GmailCredentials {
  const c = JSON.parse(json) as Partial<GmailCredentials>;
  if (
    c.v !== 1 ||
    typeof c.refreshToken !== 'string' ||
    typeof c.mailboxId !== 'string' ||
    typeof c.tenantId !== 'string'
  ) {
    throw new Error('stored Gmail credentials have an unknown shape');
  }
  return c as GmailCredentials;
}

/**
 * Gmail's per-user quota (docs/providers.md A9.1: 15,000 units per user per minute, i.e. 250 a
 * second) and the share Inlet paces its calls to. Every call of a mailbox in this process (backfill,
 * push syncs, sends, watches) goes through the same pacer; 5 % is left for clock skew against
 * Google's meter and for a send of the same mailbox from another worker process (a 429 still backs
 * off). The burst lets a lone push sync (history.list + a few messages.get) go at once.
 */
export const gmailQuota: QuotaRate = {
  units: 15_000,
  windowMs: 60_000,
  share: 0.95,
  burstUnits: 25,
};

/** Quota units per call (docs/providers.md A4), by the name each call is made under. */
export const gmailCallUnits: Readonly<Record<string, number>> = {
  'gmail getProfile': 1,
  'gmail history.list': 2,
  'gmail messages.list': 5,
  'gmail messages.get': 5,
  'gmail messages.send': 100,
  'gmail users.watch': 100,
  'gmail users.stop': 50,
};
/** A call not in the table is charged like the dearest read (a new call should be added above). */
export const gmailDefaultUnits = 10;
