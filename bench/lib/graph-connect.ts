// Connects Microsoft 365 mailboxes of the fake to a bench tenant through consent; signing in at the
// fake answers its redirect back at once.
import type { Container } from '../../src/container.js';
import { connectThroughConsent } from './consent-connect.js';

/** Mailbox ids by address; the fake must know each user already (fake.addUser). */
export function connectAll(
  c: Container,
  tenantId: string,
  emails: string[],
): Promise<Map<string, string>> {
  return connectThroughConsent(c, 'graph', tenantId, emails, async (authorizationUrl) => {
    const signIn = await fetch(authorizationUrl, { redirect: 'manual' });
    return new URL(signIn.headers.get('location')!).searchParams;
  });
}
