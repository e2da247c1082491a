// Connects Gmail mailboxes of the fake to a bench tenant the way a helpdesk user does: consent
// started for a registered return origin, opened in the browser, approved at the fake, called back.
import type { Container } from '../../src/container.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { consent } from '../../test/fakes/google/connect.js';
import { connectThroughConsent } from './consent-connect.js';

/** Mailbox ids by address; a user the fake does not know yet is added first. */
export async function connectAll(
  c: Container,
  // The fake in its own process (google-fake-process.ts) or in this one: both answer these two.
  fake: { addUser(email: string): unknown; historyId(email: string): unknown },
  tenantId: string,
  emails: string[],
): Promise<Map<string, string>> {
  // Consent returns only to a registered origin (the callback refuses others as state_invalid).
  await c.returnOrigins.replace(systemActor(tenantId, 'bench'), ['https://helpdesk.bench']);
  for (const email of emails) {
    try {
      await fake.historyId(email);
    } catch {
      await fake.addUser(email); // addUser would replace an existing user's mail
    }
  }
  return connectThroughConsent(c, 'gmail', tenantId, emails, consent);
}
