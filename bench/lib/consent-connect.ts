// Connects mailboxes of a provider fake to a bench tenant the way a helpdesk user does: consent
// started for the registered return origin, opened in the browser (which gets the binding cookie),
// approved at the provider, called back. Gmail (gmail-connect.ts) and Microsoft 365
// (graph-connect.ts) differ only in how the provider's page is approved.
import type { Container } from '../../src/container.js';
import type { ProviderKind } from '../../src/providers/provider-kind.js';
import { systemActor } from '../../src/tenancy/actor.js';
import { benchReturnUrl } from './push-latency.js';

/** Mailbox ids by address. `approve` answers the query the provider redirects back with. */
export async function connectThroughConsent(
  c: Container,
  kind: ProviderKind,
  tenantId: string,
  emails: string[],
  approve: (authorizationUrl: string) => Promise<URLSearchParams>,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const actor = systemActor(tenantId, 'bench');
  for (const email of emails) {
    const { consentUrl } = await c.consent.start(kind, actor, {
      returnUrl: benchReturnUrl,
      loginHint: email,
    });
    const opened = await c.consent.open(new URL(consentUrl).searchParams.get('state')!);
    if (!opened.ok) throw new Error(`open consent ${email}: ${opened.code}`);
    const cookie = opened.setCookie.split(';')[0];
    const q = await approve(opened.authorizationUrl);
    const r = await c.consent.callback(
      kind,
      { state: q.get('state') ?? undefined, code: q.get('code') ?? undefined },
      cookie,
    );
    if (!r.ok) throw new Error(`connect ${email}: ${r.code}`);
    ids.set(email, r.mailboxId);
  }
  return ids;
}
