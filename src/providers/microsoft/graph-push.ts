// Graph change-notification subscriptions on the inbox (docs/providers.md, Microsoft 365 facts:
// subscriptions): created with a fresh random clientState (kept only in the sealed credentials,
// compared on every notification), renewed by PATCH before expiry, recreated when Graph has dropped
// one, deleted on disconnect. Delegated .Shared permissions cannot subscribe, so shared mailboxes
// are polled instead (pushMode 'poll').
import { randomBytes } from 'node:crypto';

import type { PushChannel } from '../mail-provider.js';
import { isProviderError } from '../provider-errors.js';
import { type GraphSession, type MicrosoftRuntime, noLibraryRetry } from './graph-session.js';

interface SubscriptionJson {
  id: string;
  expirationDateTime: string;
}

const expiryFrom = (rt: MicrosoftRuntime) =>
  new Date((rt.now ?? Date.now)() + rt.client.subscriptionMinutes * 60_000).toISOString();
const statusOf = (err: unknown) =>
  isProviderError(err) ? (err.cause as { statusCode?: number } | undefined)?.statusCode : undefined;

function channelOf(sub: SubscriptionJson, resource: string): PushChannel {
  return {
    provider: 'graph',
    id: sub.id,
    expiresAt: new Date(sub.expirationDateTime).toISOString(),
    data: { resource },
  };
}

export async function createSubscription(
  s: GraphSession,
  rt: MicrosoftRuntime,
): Promise<PushChannel> {
  const clientState = randomBytes(32).toString('base64url');
  const resource = `users/${s.creds.userObjectId}/mailFolders('inbox')/messages`;
  const sub = await s.call(
    'graph subscriptions.create',
    (c) =>
      c
        .api('/subscriptions')
        .middlewareOptions(noLibraryRetry())
        .post({
          changeType: 'created',
          resource,
          notificationUrl: rt.client.notificationUrl,
          lifecycleNotificationUrl: rt.client.lifecycleNotificationUrl,
          expirationDateTime: expiryFrom(rt),
          clientState,
        }) as Promise<SubscriptionJson>,
  );
  // Stored before anything can arrive for it being answered as forged? Graph sends the first
  // notification only after 201, and the receiver treats an unknown subscription as "not ours" (202).
  s.creds.push = { subscriptionId: sub.id, clientState };
  await rt.saveCredentials(s.creds.tenantId, s.creds.mailboxId, { push: s.creds.push });
  return channelOf(sub, resource);
}

/** PATCH a later expiry (also reauthorizes); a subscription Graph no longer has is recreated. */
export async function renewSubscription(
  s: GraphSession,
  rt: MicrosoftRuntime,
  channel: PushChannel,
): Promise<PushChannel> {
  if (!s.creds.push || s.creds.push.subscriptionId !== channel.id) return createSubscription(s, rt);
  try {
    const sub = await s.call(
      'graph subscriptions.renew',
      (c) =>
        c
          .api(`/subscriptions/${encodeURIComponent(channel.id)}`)
          .middlewareOptions(noLibraryRetry())
          .patch({ expirationDateTime: expiryFrom(rt) }) as Promise<SubscriptionJson>,
    );
    return channelOf(sub, String(channel.data.resource ?? ''));
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    return createSubscription(s, rt);
  }
}

export async function deleteSubscription(
  s: GraphSession,
  rt: MicrosoftRuntime,
  channel: PushChannel | null,
): Promise<void> {
  const id = s.creds.push?.subscriptionId ?? channel?.id;
  if (id && id !== 'unknown') {
    try {
      await s.call('graph subscriptions.delete', (c) =>
        c
          .api(`/subscriptions/${encodeURIComponent(id)}`)
          .middlewareOptions(noLibraryRetry())
          .delete(),
      );
    } catch (err) {
      if (statusOf(err) !== 404) throw err; // already gone: stopping is idempotent
    }
  }
  s.creds.push = null;
  await rt.saveCredentials(s.creds.tenantId, s.creds.mailboxId, { push: null });
}
