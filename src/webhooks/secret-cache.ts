// Signing secrets of the endpoints a dispatcher is delivering to, unsealed once and kept while the
// sealed columns stay the same (a rotation changes them, and the next claim sees the new ones).
// Without it every claim round read the tenant's data key and opened the secrets again.
import type { DataKey } from '../crypto/index.js';
import type { ClaimedDelivery } from './delivery-store.js';
import { signingSecrets } from './endpoint-service.js';

type Endpoint = ClaimedDelivery['endpoint'];

export interface SecretCache {
  /** The secrets that sign at `at`, or null when the endpoint's sealed secrets must be opened. */
  get(e: Endpoint, at: Date): string[] | null;
  /** Opens and keeps the endpoint's secrets; returns those that sign at `at`. */
  open(dek: DataKey, e: Endpoint, at: Date): string[];
}

const limit = 10_000;

export function makeSecretCache(): SecretCache {
  const cache = new Map<
    string,
    { fingerprint: string; current: string; previous: string | null }
  >();
  const fingerprint = (e: Endpoint) =>
    `${e.secret_ct.toString('base64')}|${e.previous_secret_ct?.toString('base64') ?? ''}`;
  const pick = (
    c: { current: string; previous: string | null },
    e: Endpoint,
    at: Date,
  ): string[] =>
    c.previous !== null && e.previous_secret_expires_at && e.previous_secret_expires_at > at
      ? [c.current, c.previous]
      : [c.current];

  return {
    get(e, at) {
      const c = cache.get(e.id);
      return c && c.fingerprint === fingerprint(e) ? pick(c, e, at) : null;
    },
    open(dek, e, at) {
      // Opened with an expiry far ahead, so the previous secret is kept while it may still sign.
      const both = signingSecrets(
        dek,
        {
          ...e,
          previous_secret_expires_at: e.previous_secret_ct ? new Date(8.64e15) : null,
        } as never,
        at,
      );
      if (cache.size >= limit) cache.clear();
      const c = { fingerprint: fingerprint(e), current: both[0]!, previous: both[1] ?? null };
      cache.set(e.id, c);
      return pick(c, e, at);
    },
  };
}
