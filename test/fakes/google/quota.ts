// Per-user quota meter (15,000 units per user per minute; units per method as Google documents
// them) and on-demand error injection with the bodies Google sends for each rate / backend failure
// (docs/providers.md, Gmail fake).
import { googleErrorBody, HttpError } from './http-util.js';
import type { FakeState, InjectedError } from './state.js';

export const UNITS: Record<string, number> = {
  'users.getProfile': 1,
  'users.watch': 100,
  'users.stop': 50,
  'users.history.list': 2,
  'users.messages.list': 5,
  'users.messages.get': 5,
  'users.messages.send': 100,
  'users.labels.list': 1,
};

const WINDOW_MS = 60_000;

export function quotaUsed(state: FakeState, email: string): number {
  const now = state.now();
  const entries = (state.quota.get(email) ?? []).filter((e) => now - e.at < WINDOW_MS);
  state.quota.set(email, entries);
  return entries.reduce((sum, e) => sum + e.units, 0);
}

/** Charges the call's units, or throws Google's per-user quota 429 when the minute is spent. */
export function chargeQuota(state: FakeState, email: string, operation: string): void {
  const units = UNITS[operation] ?? 5;
  if (quotaUsed(state, email) + units > state.quotaPerUserPerMinute) {
    throw new HttpError(
      429,
      googleErrorBody(
        429,
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail.googleapis.com' for consumer 'project_number:000000000000'.",
        'rateLimitExceeded',
        'RESOURCE_EXHAUSTED',
      ),
    );
  }
  state.quota.get(email)!.push({ at: state.now(), units });
}

export function injectedErrorFor(error: InjectedError): HttpError {
  const { status, reason } = error;
  if (status === 429) {
    return new HttpError(
      429,
      googleErrorBody(
        429,
        'Too many concurrent requests for user.',
        reason ?? 'rateLimitExceeded',
        'RESOURCE_EXHAUSTED',
        {
          domain: 'usageLimits',
        },
      ),
    );
  }
  if (status === 403) {
    const r = reason ?? 'rateLimitExceeded';
    const text: Record<string, string> = {
      rateLimitExceeded: 'Rate Limit Exceeded',
      userRateLimitExceeded: 'User Rate Limit Exceeded',
      dailyLimitExceeded: 'Daily Limit Exceeded',
      domainPolicy: 'The domain administrators have disabled Gmail apps.',
      insufficientPermissions: 'Request had insufficient authentication scopes.',
    };
    const domain =
      r === 'domainPolicy' || r === 'insufficientPermissions' ? 'global' : 'usageLimits';
    return new HttpError(
      403,
      googleErrorBody(403, text[r] ?? 'Forbidden', r, 'PERMISSION_DENIED', { domain }),
    );
  }
  if (status === 401) {
    return new HttpError(
      401,
      googleErrorBody(
        401,
        'Request had invalid authentication credentials.',
        reason ?? 'authError',
        'UNAUTHENTICATED',
        {
          message: 'Invalid Credentials',
          location: 'Authorization',
          locationType: 'header',
        },
      ),
    );
  }
  if (status === 404)
    return new HttpError(
      404,
      googleErrorBody(404, 'Requested entity was not found.', reason ?? 'notFound', 'NOT_FOUND'),
    );
  if (status === 503)
    return new HttpError(
      503,
      googleErrorBody(
        503,
        'The service is currently unavailable.',
        reason ?? 'backendError',
        'UNAVAILABLE',
      ),
    );
  if (status >= 500)
    return new HttpError(
      status,
      googleErrorBody(status, 'Backend Error', reason ?? 'backendError', 'INTERNAL'),
    );
  return new HttpError(
    status,
    googleErrorBody(status, 'Bad Request', reason ?? 'badRequest', 'INVALID_ARGUMENT'),
  );
}

/** Consumes one injected error for this user and operation, if any is pending. */
export function takeInjected(
  state: FakeState,
  email: string,
  operation: string,
): HttpError | undefined {
  const pending = state.injected.get(email);
  if (!pending || pending.remaining <= 0) return undefined;
  const candidates = pending.errors.filter((e) => !e.operation || e.operation === operation);
  if (candidates.length === 0) return undefined;
  const error = candidates[pending.next % candidates.length]!;
  pending.next += 1;
  pending.remaining -= 1;
  if (pending.remaining <= 0) state.injected.delete(email);
  return injectedErrorFor(error);
}
