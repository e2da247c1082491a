// Who is calling Graph and which mailbox they may touch: bearer token checks, the delegated
// own-mailbox / shared-mailbox rules and the per app+mailbox throttle (docs/providers.md,
// Microsoft 365 facts).
import type { IncomingMessage } from 'node:http';

import { type AccessToken, type FakeState, type FakeUser, graphError } from './state.js';

export function bearer(s: FakeState, req: IncomingMessage): { token: AccessToken; user: FakeUser } {
  const h = req.headers.authorization;
  if (!h)
    throw graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', {
      'www-authenticate': 'Bearer realm=""',
    });
  const m = /^Bearer (\S+)$/.exec(h);
  const token = m ? s.accessTokens.get(m[1]!) : undefined;
  if (!token)
    throw graphError(
      401,
      'InvalidAuthenticationToken',
      'IDX14100: JWT is not well formed, there are no dots (.).',
    );
  if (token.expiresAt <= s.now())
    throw graphError(
      401,
      'InvalidAuthenticationToken',
      'Lifetime validation failed, the token is expired.',
    );
  const user = s.byOid.get(token.oid)!;
  // Revoked sessions: Exchange Online evaluates revocation continuously (CAE), so access tokens stop too.
  if ((s.revoked.get(user.oid) ?? -1) >= token.issuedAt)
    throw graphError(
      401,
      'InvalidAuthenticationToken',
      'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
    );
  return { token, user };
}

export type Need = 'read' | 'send' | 'write';

const scopesFor: Record<Need, { own: string[]; shared: string[] }> = {
  read: {
    own: ['Mail.Read', 'Mail.ReadWrite', 'Mail.ReadBasic'],
    shared: ['Mail.Read.Shared', 'Mail.ReadWrite.Shared'],
  },
  send: { own: ['Mail.Send'], shared: ['Mail.Send.Shared'] },
  write: { own: ['Mail.ReadWrite'], shared: ['Mail.ReadWrite.Shared'] },
};

/** `me` or `users/{id|upn}`: the mailbox, if this token may do `need` there. */
export function mailboxFor(
  s: FakeState,
  caller: { token: AccessToken; user: FakeUser },
  who: string,
  need: Need,
): FakeUser {
  const target =
    who === 'me'
      ? caller.user
      : (s.byOid.get(who) ?? s.users.get(decodeURIComponent(who).toLowerCase()));
  if (!target)
    throw graphError(
      404,
      'ErrorInvalidUser',
      `The requested user '${decodeURIComponent(who)}' is invalid.`,
    );
  const own = target.oid === caller.user.oid;
  const allowed = own ? scopesFor[need].own : scopesFor[need].shared;
  const hasScope = caller.token.scopes.some((x) => allowed.includes(x));
  if (!hasScope || (!own && !target.delegates.has(caller.user.oid))) {
    throw graphError(
      403,
      'ErrorAccessDenied',
      'Access is denied. Check credentials and try again.',
    );
  }
  return target;
}
/** Throttle key: per app id + mailbox. Returns a release function, or throws 429/503 with Retry-After. */
export function admit(s: FakeState, clientId: string, mailbox: FakeUser): () => void {
  const key = `${clientId}|${mailbox.oid}`;
  const injected = s.injected.get(mailbox.email);
  if (injected && injected.remaining > 0) {
    injected.remaining--;
    const headers: Record<string, string> =
      injected.retryAfterSec !== null ? { 'retry-after': String(injected.retryAfterSec) } : {};
    if (injected.status === 429)
      throw graphError(
        429,
        'ApplicationThrottled',
        'Application is over its MailboxConcurrency limit.',
        headers,
      );
    if (injected.status === 503)
      throw graphError(503, 'ServiceUnavailable', 'Service Unavailable', headers);
    throw graphError(500, 'InternalServerError', 'Internal server error.');
  }
  const now = s.now();
  const times = (s.requestTimes.get(key) ?? []).filter((t) => t > now - s.throttle.windowMs);
  s.requestTimes.set(key, times);
  if (times.length >= s.throttle.maxRequests) {
    const wait = Math.max(1, Math.ceil((times[0]! + s.throttle.windowMs - now) / 1000));
    throw graphError(
      429,
      'ApplicationThrottled',
      'Application is over its MailboxRequestLimit limit.',
      { 'retry-after': String(wait) },
    );
  }
  const inFlight = s.inFlight.get(key) ?? 0;
  if (inFlight >= s.throttle.concurrency) {
    throw graphError(
      429,
      'ApplicationThrottled',
      'Application is over its MailboxConcurrency limit.',
      { 'retry-after': '1' },
    );
  }
  times.push(now);
  s.inFlight.set(key, inFlight + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    s.inFlight.set(key, (s.inFlight.get(key) ?? 1) - 1);
  };
}
