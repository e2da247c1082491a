// Gmail Pub/Sub pushes: verify the OIDC token (RS256 signature against Google's
// JWKS, issuer, audience, the configured push service account with a verified email), decode
// {emailAddress, historyId}, find the mailbox(es) with that address and queue their keyed sync.
// Answers fast and acknowledges everything authentic — an unknown or parked mailbox, a push already
// covered by the stored cursor, or an unreadable payload is counted, never NACKed (a NACK only makes
// Pub/Sub redeliver the same thing). Pushes carry no mail: the sync reads history from the cursor,
// so duplicated and out-of-order pushes are harmless.
import { createHash } from 'node:crypto';

import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { Counter, type Registry } from 'prom-client';

import type { GoogleConfig } from '../../config.js';
import { emailBlindIndex } from '../../crypto/index.js';
import type { Logger } from '../../lib/logger.js';
import type { Db } from '../../store/db.js';
import { liveMailboxesByAddress, tenantsWithLiveMailboxes } from '../../store/mailbox-store.js';
import type { KeyService } from '../../tenancy/key-service.js';
import { enqueueDueSyncs, type PushedMailbox } from './gmail-push-store.js';

export type PushOutcome =
  'enqueued' | 'covered' | 'unknown_mailbox' | 'inactive' | 'malformed' | 'unauthorized';

export interface GmailPushReceiver {
  /** 401 when the token is missing or not genuine; 204 otherwise. */
  receive(
    authorization: string | undefined,
    body: unknown,
  ): Promise<{ status: 204 | 401; outcome: PushOutcome }>;
  /** The token check alone, for the route to run before it reads the body. */
  authentic(authorization: string | undefined): Promise<boolean>;
}

const ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

function decodeData(body: unknown): { address: string; historyId: string } | null {
  const data = (body as { message?: { data?: unknown } } | null)?.message?.data;
  if (typeof data !== 'string' || data.length > 10_000) return null;
  try {
    // Base64 or base64url, padded or not: Node's base64 decoder accepts both alphabets.
    const parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as {
      emailAddress?: unknown;
      historyId?: unknown;
    };
    const historyId =
      typeof parsed.historyId === 'number' && Number.isSafeInteger(parsed.historyId)
        ? String(parsed.historyId)
        : parsed.historyId;
    // An empty address has no blind index (it would throw, a 500 Pub/Sub retries for days).
    if (
      typeof parsed.emailAddress !== 'string' ||
      parsed.emailAddress.trim() === '' ||
      parsed.emailAddress.length > 320 ||
      typeof historyId !== 'string' ||
      !/^\d{1,20}$/.test(historyId)
    )
      return null;
    return { address: parsed.emailAddress.toLowerCase(), historyId };
  } catch {
    return null;
  }
}

export function makeGmailPushReceiver(deps: {
  db: Db;
  keys: KeyService;
  logger: Logger;
  google: GoogleConfig;
  registry?: Registry;
  jwks?: JWTVerifyGetKey;
  routeCacheMs?: number;
}): GmailPushReceiver {
  const { db, keys, google } = deps;
  const log = deps.logger.child({ component: 'gmail-push' });
  const jwks = deps.jwks ?? createRemoteJWKSet(new URL(google.jwksUrl));
  const counter = new Counter({
    name: 'inlet_gmail_pushes_total',
    help: 'Gmail Pub/Sub pushes received, by outcome',
    labelNames: ['outcome'],
    registers: deps.registry ? [deps.registry] : [],
  });
  // Address → mailbox ids, in memory only (addresses of a mailbox never change); misses are not cached.
  type Route = { tenantId: string; mailboxId: string }[];
  const routes = new Map<string, { ids: Route; at: number }>();
  const cacheMs = deps.routeCacheMs ?? 60_000;

  // Tokens that passed every check, by digest, until they expire: the route checks the token before
  // reading the body and receive() checks it again, and that second RS256 verification was a
  // signature check per push for nothing. Only an identical token string hits; a forged one never.
  const verified = new Map<string, number>();
  const verifiedLimit = 1000;

  async function authentic(authorization: string | undefined): Promise<boolean> {
    const token = /^Bearer ([A-Za-z0-9._-]{20,4096})$/.exec(authorization ?? '')?.[1];
    if (!token || !google.pushServiceAccount) return false;
    const digest = createHash('sha256').update(token).digest('base64url');
    const until = verified.get(digest);
    if (until !== undefined) {
      if (Date.now() < until) return true;
      verified.delete(digest);
    }
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: ISSUERS,
        audience: google.pushAudience,
        algorithms: ['RS256'],
        clockTolerance: 30,
      });
      const ok = payload.email === google.pushServiceAccount && payload.email_verified === true;
      if (ok && typeof payload.exp === 'number') {
        if (verified.size >= verifiedLimit) verified.delete(verified.keys().next().value!);
        verified.set(digest, payload.exp * 1000);
      }
      return ok;
    } catch {
      return false;
    }
  }

  /**
   * The pushed address's mailboxes, each with its sync queued when due. A known address is one
   * statement on its own (no transaction around it): a busy inbox pushes again every few seconds,
   * and BEGIN, COMMIT and a lookup before the enqueue were three more round trips.
   */
  async function enqueueFor(address: string, historyId: string): Promise<PushedMailbox[]> {
    const hit = routes.get(address);
    if (hit && Date.now() - hit.at < cacheMs) {
      const rows = await enqueueDueSyncs(db.pool, hit.ids, historyId);
      if (rows.length > 0) return rows;
    }
    const found = await lookUp(address);
    return enqueueDueSyncs(db.pool, found, historyId);
  }

  async function lookUp(address: string): Promise<Route> {
    return db.tx(async (ex) => {
      const pairs = [];
      for (const tenantId of await tenantsWithLiveMailboxes(ex, 'gmail')) {
        pairs.push({
          tenantId,
          bidx: emailBlindIndex((await keys.tenantKey(ex, tenantId, 'index')).key, address),
        });
      }
      const ids = (await liveMailboxesByAddress(ex, 'gmail', pairs)).map((f) => ({
        tenantId: f.tenant_id,
        mailboxId: f.mailbox_id,
      }));
      if (ids.length > 0) routes.set(address, { ids, at: Date.now() });
      return ids;
    });
  }

  const done = (status: 204 | 401, outcome: PushOutcome) => {
    counter.inc({ outcome });
    return { status, outcome };
  };

  return {
    authentic,
    async receive(authorization, body) {
      if (!(await authentic(authorization))) return done(401, 'unauthorized');
      const data = decodeData(body);
      if (!data) {
        log.warn('gmail push with an unreadable payload acknowledged');
        return done(204, 'malformed');
      }
      const found = await enqueueFor(data.address, data.historyId);
      if (found.length === 0) {
        log.info('gmail push for an unknown mailbox acknowledged');
        return done(204, 'unknown_mailbox');
      }
      return done(
        204,
        found.some((t) => t.enqueued)
          ? 'enqueued'
          : found.some((t) => t.status === 'active')
            ? 'covered'
            : 'inactive',
      );
    },
  };
}
