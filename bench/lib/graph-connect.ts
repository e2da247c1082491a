// Connects Microsoft 365 mailboxes of the fake to a bench tenant the way a helpdesk user does:
// consent started for the registered return origin, opened in the browser, signed in at the fake,
// called back.
import type { Container } from '../../src/container.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { benchReturnUrl } from './push-latency.js';

/** Mailbox ids by address; the fake must know each user already (fake.addUser). */
export async function connectAll(
  c: Container,
  tenantId: string,
  emails: string[],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const actor = systemActor(tenantId, 'bench');
  for (const email of emails) {
    const { consentUrl } = await c.consent.start('graph', actor, {
      returnUrl: benchReturnUrl,
      loginHint: email,
    });
    // The browser opening Inlet's consent URL: gets the provider's URL and the binding cookie.
    const opened = await c.consent.open(new URL(consentUrl).searchParams.get('state')!);
    if (!opened.ok) throw new Error(`open consent ${email}: ${opened.code}`);
    const { authorizationUrl } = opened;
    const cookie = opened.setCookie.split(';')[0];
    const back = new URL(
      (await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location')!,
    );
    const r = await c.consent.callback(
      'graph',
      {
        state: back.searchParams.get('state') ?? undefined,
        code: back.searchParams.get('code') ?? undefined,
      },
      cookie,
    );
    if (!r.ok) throw new Error(`connect ${email}: ${r.code}`);
    ids.set(email, r.mailboxId);
  }
  return ids;
}
