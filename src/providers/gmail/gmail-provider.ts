// Gmail implementation of MailProvider (REST over googleapis; no connection to hold). One instance
// serves one mailbox for one job; access tokens and rate-limit state live in the shared runtime.
import type {
  Cursor,
  ListChangesOptions,
  MailProvider,
  ProviderDeps,
  PushChannel,
  PushStartRequest,
  RemoteMessageRef,
  SendMeta,
} from '../mail-provider.js';
import { ProviderError } from '../provider-errors.js';
import { type GmailRuntime, makeGmailSession } from './gmail-client.js';
import { fetchGmailHeaders } from './gmail-headers.js';
import { revokeGoogleGrant, stopGmailWatch, watchGmail } from './gmail-push.js';
import { findGmailSent, sendGmail } from './gmail-send.js';
import type { GmailCredentials } from './gmail-settings.js';
import { fetchGmailRaw, listGmailChanges } from './gmail-sync.js';

export interface GmailProviderDeps extends ProviderDeps {
  /** Absent when Google is not configured (GOOGLE_CLIENT_ID unset): Gmail mailboxes cannot be opened. */
  gmail?: GmailRuntime & { topicName: string | null };
}

export function makeGmailProvider(creds: GmailCredentials, deps: GmailProviderDeps): MailProvider {
  const rt = deps.gmail;
  if (!rt)
    throw new ProviderError(
      'permanent',
      'Gmail is not configured on this Inlet (GOOGLE_CLIENT_ID)',
    );
  const s = makeGmailSession(creds, rt, deps.logger);

  const topicOf = (req: { topicName?: string | undefined } | undefined): string => {
    const topic = req?.topicName ?? rt.topicName;
    if (!topic)
      throw new ProviderError('permanent', 'no Pub/Sub topic configured (GOOGLE_PUBSUB_TOPIC)');
    return topic;
  };

  return {
    kind: 'gmail',
    pushMode: 'channel',

    async verify() {
      const profile = await s.call('gmail getProfile', () =>
        s.gmail.users.getProfile({ userId: 'me' }),
      );
      return { address: profile.data.emailAddress ?? creds.address };
    },

    listChanges: (cursor: Cursor | null, opts: ListChangesOptions) =>
      listGmailChanges(s, cursor, opts),
    fetchRaw: (ref: Pick<RemoteMessageRef, 'providerMessageId'>) =>
      fetchGmailRaw(s, ref.providerMessageId),
    fetchHeaders: (ref: Pick<RemoteMessageRef, 'providerMessageId'>) =>
      fetchGmailHeaders(s, ref.providerMessageId),
    send: (mime: Buffer, meta: SendMeta) => sendGmail(s, mime, meta),
    findSentByMessageId: (messageId: string) => findGmailSent(s, messageId),

    startPush: (req?: PushStartRequest) => watchGmail(s, topicOf(req)),
    renewPush: (channel: PushChannel) =>
      watchGmail(
        s,
        topicOf({
          topicName:
            typeof channel.data.topicName === 'string' ? channel.data.topicName : undefined,
        }),
      ),
    stopPush: () => stopGmailWatch(s),
    revoke: () => revokeGoogleGrant(s, creds.refreshToken),

    async close() {
      // Nothing held: REST calls only.
    },
  };
}
