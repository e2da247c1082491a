// Machine notices about a message we sent join that message's ticket (DESIGN.md: reports attach to
// the ticket of the message they return), found by the Message-ID of the original they carry or
// quote, like a bounce: abuse reports, SES complaints, challenge-response holds, list notices.
import { describe, expect, it } from 'vitest';

import { abuseReport } from '../../test/helpers/abuse-report.js';
import { decideThread } from '../tickets/thread-rules.js';
import { makeIndexer } from './page-indexer.js';
import { classifyMessage } from './stages/classify.js';
import { parseMessage } from './stages/parse.js';
import { threadCandidates, threadKeys } from './thread-lookup.js';

const index = makeIndexer(Buffer.alloc(32, 3));
const ctx = { ownAddresses: ['support@acme.example'], isOwnMessageId: () => false };
const replyId = 'reply-7@acme.example';

/** Where a message lands when the only stored message it could name is our reply on ticket 't'. */
async function place(raw: string) {
  const msg = await parseMessage(Buffer.from(raw.replace(/\r?\n/g, '\r\n')));
  const c = classifyMessage(msg, ctx);
  const keys = threadKeys(index, msg, null);
  const known = index.messageId(replyId);
  const refs = keys.lookup.refBidxs
    .filter((b) => b.equals(known))
    .map((bidx) => ({ bidx, ticket_id: 't' }));
  const found = { refs, providerTicket: null, tokenTicket: null, tokenParticipant: false };
  return {
    kind: c.kind,
    reasons: c.reasons,
    ...decideThread(threadCandidates(index, msg, c, keys, found)),
  };
}

const headers = `From: Acme Support <support@acme.example>
To: pat@client.example
Message-ID: <${replyId}>
Subject: Re: Printer on fire`;

describe('machine notices join the ticket of the message they are about', () => {
  it('an ARF abuse report, by its returned headers', async () => {
    const raw = abuseReport('support@acme.example', headers);
    expect(await place(raw)).toMatchObject({
      kind: 'auto_reply',
      reasons: ['feedback_report'],
      ticketId: 't',
      rule: 'bounce_original',
    });
  });

  it('a complaint that attaches the mail, and an SES complaint naming its Message-ID', async () => {
    const attached = `From: abuse@isp.example
To: support@acme.example
Subject: Complaint about unsolicited mail
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="a"

--a
Content-Type: text/plain

Our customer reports the attached message as spam.
--a
Content-Type: message/rfc822

${headers}

We are on it.
--a--
`;
    const ses = `From: AWS Notifications <no-reply@sns.amazonaws.com>
To: support@acme.example
Subject: AWS Notification Message

{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"pat@client.example"}]},"mail":{"messageId":"0100018c-ses","commonHeaders":{"messageId":"<${replyId}>"}}}
`;
    expect(await place(attached)).toMatchObject({ reasons: ['abuse_complaint'], ticketId: 't' });
    expect(await place(ses)).toMatchObject({ reasons: ['ses_complaint'], ticketId: 't' });
  });

  it('a challenge-response hold quoting the held message, and a list holding the post', async () => {
    const challenge = `From: Screening Service <mailer-daemon@screen.example>
To: support@acme.example
Subject: Returned mail: please verify your message

Your message to pat@client.example has not been delivered yet: please verify
that you are a person at https://screen.example/verify/91

--- Original message follows ---
${headers}
`;
    const held = `From: printers-bounces@lists.client.example
To: support@acme.example
Subject: Your message to Printers awaits moderator approval
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="h"

--h
Content-Type: text/plain

Your mail to 'Printers' is being held until the list moderator can review it.
--h
Content-Type: message/rfc822

${headers}

We are on it.
--h--
`;
    expect(await place(challenge)).toMatchObject({
      reasons: expect.arrayContaining(['challenge_response']),
      ticketId: 't',
      rule: 'bounce_original',
    });
    expect(await place(held)).toMatchObject({ reasons: ['list_notice'], ticketId: 't' });
  });

  it('an out-of-office reply quoting our headers without In-Reply-To does not join by them', async () => {
    const raw = `From: Kim <kim@client.example>
To: support@acme.example
Subject: Out of office
Auto-Submitted: auto-replied

I am away until Monday.

${headers}
`;
    expect(await place(raw)).toMatchObject({ kind: 'auto_reply', rule: 'new_ticket' });
  });
});
