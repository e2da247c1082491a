// Consent bound to the browser that opened it (issue #14 item 4). The start call returns no
// provider URL; it returns Inlet's one-time consent URL. The first browser to open it gets a random
// nonce in an HttpOnly, SameSite=Lax cookie (only its hash is stored, on the state row) and is sent
// on to the provider. The callback completes only in a browser that presents that cookie, so the
// provider link, copied from the redirect and handed to someone else, connects nothing; and a
// consent URL already opened cannot be opened again. SameSite=Lax still sends the cookie on the
// provider's top-level redirect back to the callback.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Outcome codes of the browser binding (the callback's `error=` and the plain page's code). */
export const BROWSER_MISMATCH = 'browser_mismatch';
export const LINK_USED = 'consent_link_used';

/** Texts for the flow's own codes, used where a provider's adapter has none. */
export const bindingFailureText: Readonly<Record<string, string>> = {
  [BROWSER_MISMATCH]:
    'This sign-in was completed in a different browser from the one that opened the consent link, so the mailbox was not connected. Start again from your helpdesk, in this browser.',
  [LINK_USED]:
    'This consent link was already opened. Start connecting the mailbox again from your helpdesk.',
};

/** Every consent cookie lives under this path: the consent URL and the providers' callbacks. */
export const cookiePath = '/v1/oauth/';

export const cookieName = (stateId: string) => `inlet_consent_${stateId.replace(/-/g, '')}`;

export function newBrowserNonce(): { nonce: string; hash: Buffer } {
  const nonce = randomBytes(32).toString('base64url');
  return { nonce, hash: hashNonce(nonce) };
}

const hashNonce = (nonce: string) => createHash('sha256').update(nonce).digest();

/** The value of cookie `name` in a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}

/** True when the Cookie header carries the nonce whose hash the state row holds. */
export function browserMatches(
  header: string | undefined,
  stateId: string,
  storedHash: Buffer | null,
): boolean {
  const nonce = readCookie(header, cookieName(stateId));
  if (!nonce || !storedHash) return false;
  const given = hashNonce(nonce);
  return given.length === storedHash.length && timingSafeEqual(given, storedHash);
}

export function setCookieHeader(
  stateId: string,
  nonce: string,
  maxAgeSeconds: number,
  secure: boolean,
): string {
  return [
    `${cookieName(stateId)}=${nonce}`,
    `Path=${cookiePath}`,
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** The cookie's removal, sent with the callback's answer (it is single use either way). */
export function clearCookieHeader(stateId: string, secure: boolean): string {
  return setCookieHeader(stateId, '', 0, secure);
}
