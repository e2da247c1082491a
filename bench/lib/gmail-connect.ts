// Connects Gmail mailboxes of the fake to a bench tenant the way a helpdesk user does: consent
// started for a registered return origin, opened in the browser, approved at the fake, called back.
import type { Container } from '../../src/container.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { consent } from '../../test/fakes/google/connect.js';
import { benchReturnUrl } from './push-latency.js';

/** Mailbox ids by address; a user the fake does not know yet is added first. */
export async function connectAll(
  c: Container,
  // The fake in its own process (google-fake-process.ts) or in this one: both answer these two.
  fake: { addUser(email: string): unknown; historyId(email: string): unknown },
  tenantId: string,
  emails: string[],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const actor = systemActor(tenantId, 'bench');
  // Consent returns only to a registered origin (the callback refuses others as state_invalid).
  await c.returnOrigins.replace(actor, ['https://helpdesk.bench']);
  for (const email of emails) {
    try {
      await fake.historyId(email);
    } catch {
      await fake.addUser(email); // addUser would replace an existing user's mail
    }
    const { consentUrl } = await c.consent.start('gmail', actor, {
      returnUrl: benchReturnUrl,
      loginHint: email,
    });
    // The browser opening Inlet's consent URL: gets the provider's URL and the binding cookie.
    const opened = await c.consent.open(new URL(consentUrl).searchParams.get('state')!);
    if (!opened.ok) throw new Error(`open consent ${email}: ${opened.code}`);
    const { authorizationUrl } = opened;
    const cookie = opened.setCookie.split(';')[0];
    const q = await consent(authorizationUrl);
    const r = await c.consent.callback(
      'gmail',
      {
        state: q.get('state') ?? undefined,
        code: q.get('code') ?? undefined,
      },
      cookie,
    );
    if (!r.ok) throw new Error(`connect ${email}: ${r.code}`);
    ids.set(email, r.mailboxId);
  }
  return ids;
}
