// Sending replies (docs/providers.md, Gmail facts) and the send job's "was it already sent?" check. messages.send is
// a POST, which neither googleapis nor this provider retries: a retry is the send job's decision,
// and it asks findGmailSent first.
import type { SendMeta, SendResult } from '../mail-provider.js';
import type { GmailSession } from './gmail-client.js';

export async function sendGmail(
  s: GmailSession,
  mime: Buffer,
  meta: SendMeta,
): Promise<SendResult> {
  const res = await s.call(
    'gmail messages.send',
    async () => {
      await meta.onTransmit();
      return s.gmail.users.messages.send({
        userId: 'me',
        requestBody: {
          raw: mime.toString('base64url'),
          ...(meta.threadId ? { threadId: meta.threadId } : {}),
        },
      });
    },
    { retry: false },
  );
  return { providerMessageId: res.data.id ?? null, savedToSent: true };
}

/** Gmail search by Message-ID (`rfc822msgid:`), limited to the Sent label. */
export async function findGmailSent(s: GmailSession, messageId: string): Promise<boolean> {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  if (!/^[^\s<>"]+$/.test(bare)) return false;
  const res = await s.call('gmail messages.list', () =>
    s.gmail.users.messages.list({
      userId: 'me',
      labelIds: ['SENT'],
      q: `rfc822msgid:${bare}`,
      maxResults: 1,
      includeSpamTrash: true,
    }),
  );
  return (res.data.messages ?? []).length > 0;
}
