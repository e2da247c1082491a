// One classification for every provider failure, so jobs decide the same way whatever the source:
//   auth_revoked   → stop syncing, mark the mailbox "reconnect needed" (retrying cannot help)
//   rate_limited   → retry after retryAfterMs (or backoff), do not count as a poison attempt
//   transient      → retry with backoff; after N attempts the job parks the work item
//   cursor_expired → restart sync with a fresh bounded backfill
//   permanent      → the request itself is wrong; retrying the same thing fails the same way
import { AppError, isAppError } from '../errors.js';

export type ProviderErrorKind =
  'auth_revoked' | 'rate_limited' | 'transient' | 'cursor_expired' | 'permanent';

const statusByKind: Record<ProviderErrorKind, number> = {
  auth_revoked: 502,
  rate_limited: 503,
  transient: 503,
  cursor_expired: 502,
  permanent: 502,
};

export class ProviderError extends AppError {
  readonly kind: ProviderErrorKind;
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    opts: { retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`provider_${kind}`, message, undefined, statusByKind[kind]);
    this.name = 'ProviderError';
    this.kind = kind;
    this.retryAfterMs = opts.retryAfterMs;
    if (opts.cause !== undefined) this.cause = opts.cause;
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
  'ERR_SOCKET_CLOSED',
  // imapflow (ImapFlowErrorCode)
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'LockTimeout',
  'PollFailed',
  // nodemailer
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ETIMEDOUT',
  'EPROTOCOL',
]);

const AUTH_CODES = new Set([
  'EAUTH',
  'EOAUTH2',
  'invalid_grant',
  'AuthenticationFailed',
  'imap_auth_failed',
  'smtp_auth_failed',
  'InvalidAuthenticationToken',
  'ErrorAccessDenied',
  'interaction_required',
  'consent_required',
]);

const CURSOR_CODES = new Set([
  'syncStateNotFound',
  'resyncRequired',
  'SyncStateNotFound',
  'SyncStateInvalid',
]);
const RATE_REASONS = new Set([
  'ETHROTTLE',
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'dailyLimitExceeded',
  'quotaExceeded',
  'ApplicationThrottled',
  'MailboxConcurrency',
  'TooManyRequests',
]);
const PERMISSION_REASONS = new Set([
  'insufficientPermissions',
  'forbidden',
  'domainPolicy',
  'authError',
]);
// IMAP response codes (RFC 5530) that mean "later", not "never".
const IMAP_TRANSIENT_CODES = new Set([
  'UNAVAILABLE',
  'INUSE',
  'SERVERBUG',
  'LIMIT',
  'EXPUNGEISSUED',
]);

type Loose = Record<string, unknown>;
const asObj = (v: unknown): Loose | null =>
  v !== null && typeof v === 'object' ? (v as Loose) : null;

function header(headers: unknown, name: string): string | null {
  const h = asObj(headers);
  if (!h) return null;
  if (typeof h.get === 'function') {
    const v = (h.get as (n: string) => unknown).call(h, name);
    return typeof v === 'string' ? v : null;
  }
  for (const [k, v] of Object.entries(h)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  }
  return null;
}

/** Retry-After in ms from seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function httpStatus(e: Loose): number | null {
  const resp = asObj(e.response);
  for (const v of [
    e.status,
    e.statusCode,
    resp?.status,
    resp?.statusCode,
    typeof e.code === 'number' ? e.code : null,
  ]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  return null;
}

/** Collects the string codes/reasons a Google, Graph, imapflow or nodemailer error may carry. */
function reasons(e: Loose): string[] {
  const out: string[] = [];
  const push = (v: unknown) => {
    if (typeof v === 'string' && v) out.push(v);
  };
  push(e.code);
  push(e.serverResponseCode);
  push(e.errorCode); // MSAL
  const body = asObj(asObj(e.response)?.data) ?? asObj(e.body);
  const apiErr = asObj(body?.error) ?? body;
  if (apiErr) {
    push(apiErr.code);
    push(apiErr.status);
    if (typeof body?.error === 'string') push(body.error); // OAuth token endpoint: { error: 'invalid_grant' }
    if (Array.isArray(apiErr.errors)) for (const r of apiErr.errors) push(asObj(r)?.reason);
  }
  if (Array.isArray(e.errors)) for (const r of e.errors) push(asObj(r)?.reason);
  return out;
}

export function classifyProviderError(err: unknown): ProviderErrorKind {
  return classify(err).kind;
}

function classify(err: unknown): { kind: ProviderErrorKind; retryAfterMs?: number } {
  if (isProviderError(err))
    return err.retryAfterMs === undefined
      ? { kind: err.kind }
      : { kind: err.kind, retryAfterMs: err.retryAfterMs };
  const e = asObj(err);
  if (!e) return { kind: 'transient' };
  if (isAppError(err)) {
    if (AUTH_CODES.has(String(err.code))) return { kind: 'auth_revoked' };
    if (/_(unreachable|tls_failed)$/.test(String(err.code))) return { kind: 'transient' };
    if (err.status >= 400 && err.status < 500) return { kind: 'permanent' };
  }
  const rs = reasons(e);
  const status = httpStatus(e);
  const retryAfterMs = parseRetryAfter(
    header(e.headers, 'retry-after') ?? header(asObj(e.response)?.headers, 'retry-after'),
  );
  const withRetry = (kind: ProviderErrorKind) =>
    retryAfterMs === undefined ? { kind } : { kind, retryAfterMs };

  if (e.authenticationFailed === true || rs.some((r) => AUTH_CODES.has(r)))
    return { kind: 'auth_revoked' };
  if (rs.some((r) => CURSOR_CODES.has(r)) || status === 410) return { kind: 'cursor_expired' };
  if (rs.some((r) => RATE_REASONS.has(r)) || status === 429) return withRetry('rate_limited');
  if (status === 401) return { kind: 'auth_revoked' };
  if (status === 403)
    return rs.some((r) => PERMISSION_REASONS.has(r)) || rs.length === 0
      ? { kind: 'auth_revoked' }
      : { kind: 'permanent' };
  if (status === 503 && retryAfterMs !== undefined) return withRetry('rate_limited');
  if (status !== null && (status >= 500 || status === 408)) return withRetry('transient');
  if (status !== null && status >= 400) return { kind: 'permanent' };

  // SMTP reply codes (nodemailer responseCode): 4xx try later, 535/534/530 credentials, other 5xx final.
  const smtp = typeof e.responseCode === 'number' ? e.responseCode : null;
  if (smtp !== null) {
    if (smtp === 535 || smtp === 534 || smtp === 530) return { kind: 'auth_revoked' };
    if (smtp === 421 || smtp === 450 || smtp === 451 || smtp === 452 || smtp === 454)
      return { kind: 'transient' };
    if (smtp >= 500) return { kind: 'permanent' };
    return { kind: 'transient' };
  }
  if (rs.some((r) => IMAP_TRANSIENT_CODES.has(r))) return { kind: 'transient' };
  if (rs.some((r) => NETWORK_CODES.has(r))) return { kind: 'transient' };
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') return { kind: 'permanent' };
  // Unknown failures are retried; the job's attempt limit parks them if they keep happening.
  return { kind: 'transient' };
}

/**
 * Whether a failed send provably delivered nothing: the server answered with a refusal (an SMTP
 * reply code, an HTTP status that means "not done"), or the connection failed before the whole
 * message was written into it (smtp-submit's messageIncomplete). Socket errors after that,
 * timeouts and gateway statuses (408, 502, 504) leave the outcome unknown.
 */
export function notDelivered(err: unknown): boolean {
  let e = asObj(err);
  if (isProviderError(err)) e = asObj(err.cause) ?? null;
  if (!e) return false;
  if (e.messageIncomplete === true) return true;
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) return true;
  const status = httpStatus(e);
  return status !== null && status >= 400 && ![408, 502, 504].includes(status);
}

/** Wraps any error as a ProviderError (kept as is when it already is one). The message never
 *  includes the original text, which can quote server responses containing addresses. */
export function toProviderError(err: unknown, what: string): ProviderError {
  if (isProviderError(err)) return err;
  const c = classify(err);
  const code = asObj(err)?.code;
  const detail = typeof code === 'string' && /^[A-Za-z_]{2,40}$/.test(code) ? ` (${code})` : '';
  return new ProviderError(c.kind, `${what} failed: ${c.kind}${detail}`, {
    cause: err,
    ...(c.retryAfterMs === undefined ? {} : { retryAfterMs: c.retryAfterMs }),
  });
}

/**
 * Runs one call into a provider and marks what it throws as the provider's failure by type:
 * ProviderErrors pass through, AppErrors a provider raises for its user (an IMAP folder that is
 * gone) become ProviderErrors of their class. Anything else (a bug) is left as it is.
 */
export async function fromProvider<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAppError(err) && !isProviderError(err)) throw toProviderError(err, what);
    throw err;
  }
}
