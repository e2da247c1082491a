// Microsoft 365 implementation of MailProvider (Graph over @microsoft/microsoft-graph-client, tokens
// from MSAL). One instance serves one mailbox for one job; MSAL apps, pacing and throttling state live
// in the shared runtime.
import type {
  Cursor,
  ListChangesOptions,
  MailProvider,
  ProviderDeps,
  PushChannel,
  RemoteMessageRef,
  SendMeta,
} from '../mail-provider.js';
import { ProviderError } from '../provider-errors.js';
import { fetchGraphHeaders, fetchGraphRaw } from './graph-fetch.js';
import { createSubscription, deleteSubscription, renewSubscription } from './graph-push.js';
import { findGraphSent, sendGraph } from './graph-send.js';
import { makeGraphSession, type MicrosoftRuntime, noLibraryRetry } from './graph-session.js';
import { listGraphChanges } from './graph-sync.js';
import type { MicrosoftCredentials } from './microsoft-settings.js';

export interface MicrosoftProviderDeps extends ProviderDeps {
  /** Absent when Microsoft is not configured (MICROSOFT_CLIENT_ID unset): such mailboxes cannot be opened. */
  microsoft?: MicrosoftRuntime;
}

export function makeMicrosoftProvider(
  creds: MicrosoftCredentials,
  deps: MicrosoftProviderDeps,
): MailProvider {
  const rt = deps.microsoft;
  if (!rt)
    throw new ProviderError(
      'permanent',
      'Microsoft 365 is not configured on this Inlet (MICROSOFT_CLIENT_ID)',
    );
  const s = makeGraphSession(creds, rt, deps.logger);

  return {
    kind: 'graph',
    // Delegated .Shared permissions cannot subscribe to change notifications (docs/providers.md,
    // Microsoft 365 facts: permissions).
    pushMode: creds.shared ? 'poll' : 'channel',

    async verify() {
      await s.call('graph mailFolders.inbox', (c) =>
        c.api(`${s.base}/mailFolders/inbox`).select('id').middlewareOptions(noLibraryRetry()).get(),
      );
      return { address: creds.address };
    },

    listChanges: (cursor: Cursor | null, opts: ListChangesOptions) =>
      listGraphChanges(s, cursor, opts, (rt.now ?? Date.now)()),
    fetchRaw: (ref: Pick<RemoteMessageRef, 'providerMessageId'>) =>
      fetchGraphRaw(s, ref.providerMessageId),
    fetchHeaders: (ref: Pick<RemoteMessageRef, 'providerMessageId'>) =>
      fetchGraphHeaders(s, ref.providerMessageId),
    send: (mime: Buffer, meta: SendMeta) => sendGraph(s, mime, meta),
    findSentByMessageId: (messageId: string) => findGraphSent(s, messageId),

    ...(creds.shared
      ? {}
      : {
          startPush: () => createSubscription(s, rt),
          renewPush: (channel: PushChannel) => renewSubscription(s, rt, channel),
          stopPush: (channel: PushChannel) => deleteSubscription(s, rt, channel),
        }),

    /**
     * Delegated consent cannot be revoked by the app for one mailbox (docs/providers.md, Microsoft
     * 365 facts: revocation; only the tenant admin removes the enterprise app's consent, or revokes
     * all of the user's sessions). What Inlet can do is forget every token it holds: the MSAL cache
     * is emptied and stored empty.
     */
    async revoke() {
      creds.tokenCache = '';
      rt.apps.delete(creds.mailboxId);
      await rt.saveCredentials(creds.tenantId, creds.mailboxId, { tokenCache: '' });
      return 'not_revocable' as const;
    },

    async close() {
      // Nothing held: REST calls only.
    },
  };
}
