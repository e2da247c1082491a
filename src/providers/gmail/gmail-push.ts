// Gmail push channel and grant revocation (docs/providers.md, Gmail facts) — the disconnect pieces, each
// callable on its own. A Gmail mailbox has one watch; renewing is calling users.watch again.
import type { PushChannel } from '../mail-provider.js';
import { ProviderError, toProviderError } from '../provider-errors.js';
import type { GmailSession } from './gmail-client.js';

export async function watchGmail(s: GmailSession, topicName: string): Promise<PushChannel> {
  const res = await s.call(
    'gmail users.watch',
    () =>
      s.gmail.users.watch({
        userId: 'me',
        requestBody: { topicName, labelIds: ['INBOX'], labelFilterBehavior: 'include' },
      }),
    { retry: true, forbiddenIsPermanent: true },
  );
  const expiration = Number(res.data.expiration);
  if (!Number.isFinite(expiration))
    throw new ProviderError('transient', 'gmail users.watch returned no expiration');
  return {
    provider: 'gmail',
    id: 'gmail-watch',
    expiresAt: new Date(expiration).toISOString(),
    data: { topicName, historyId: res.data.historyId ?? null },
  };
}

/** users.stop: idempotent (stopping a mailbox without a watch is not an error for Gmail). */
export async function stopGmailWatch(s: GmailSession): Promise<void> {
  await s.call('gmail users.stop', () => s.gmail.users.stop({ userId: 'me' }), {
    retry: true,
    forbiddenIsPermanent: true,
  });
}

/**
 * Revokes the whole grant (Google drops every token and scope of this client for the user). A token
 * Google no longer knows (already revoked) counts as done.
 */
export async function revokeGoogleGrant(s: GmailSession, refreshToken: string): Promise<void> {
  try {
    await s.auth.revokeToken(refreshToken);
  } catch (err) {
    const data = (err as { response?: { status?: number; data?: { error?: unknown } } }).response;
    if (
      data?.status === 400 &&
      (data.data?.error === 'invalid_token' || data.data?.error === 'invalid_grant')
    )
      return;
    throw toProviderError(err, 'google revoke');
  }
}
