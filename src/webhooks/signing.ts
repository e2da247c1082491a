// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
// `${webhook-id}.${webhook-timestamp}.${body}` with the secret's bytes, sent as `v1,<base64>`.
// During a secret rotation both secrets sign, space-separated, so a receiver holding either verifies.
import { createHmac, randomBytes } from 'node:crypto';

const prefix = 'whsec_';

/** A new signing secret in the spec's format: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return prefix + randomBytes(32).toString('base64');
}

export function signatureHeader(
  secrets: string[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets
    .map(
      (s) =>
        `v1,${createHmac('sha256', Buffer.from(s.slice(prefix.length), 'base64'))
          .update(`${id}.${timestampSeconds}.${body}`)
          .digest('base64')}`,
    )
    .join(' ');
}

export function signedHeaders(
  secrets: string[],
  id: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Inlet-Webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatureHeader(secrets, id, timestampSeconds, body),
  };
}
