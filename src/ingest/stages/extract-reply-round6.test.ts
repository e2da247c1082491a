// Reply extraction on mail of our own for the classes issue #16's round 6 found on the tune halves
// of three fresh sets (Mailspring's quoted HTML, griddler, Phabricator): a helpdesk's "reply above
// this line" marker glued to the person's text or quoted above the rest of the helpdesk's message,
// a dash alone on its line above a phone sign-off, and a rule left over from a removed quote.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;

describe('reply extraction, round 6', () => {
  it('keeps the text before a reply-above marker glued to it on one line', () => {
    expect(
      reply('Works now, thank you. ##- Please type your reply above this line -## Ticket 4711\n'),
    ).toBe('Works now, thank you.');
  });

  it('drops an attribution glued between the text and a marker on a flattened line', () => {
    expect(
      reply(
        'Yes, Friday is fine. On Tue, 2 Apr 2024 at 09:12, Support <help@example.net> wrote: --- Reply above this line --- Your request was updated.\n',
      ),
    ).toBe('Yes, Friday is fine.');
  });

  it('keeps a label that is part of the marker out of the text', () => {
    expect(
      reply(
        'The printer is back online.\n\nNOTE: Please reply above this line. Request #88 was updated.\n',
      ),
    ).toBe('The printer is back online.');
  });

  it('keeps a long paragraph that ends by mentioning the words of a marker', () => {
    const text =
      'We moved the cabinet last week and the wiring is now routed along the wall, so nothing hangs loose near the desk any more and the cleaners can reach the floor again without unplugging anything. The socket sits just above this line of hooks.';
    expect(reply(text)).toBe(text);
  });

  it('reads what follows a quoted reply-above marker as the helpdesk message, not an answer', () => {
    expect(
      reply(
        'Thanks, that fixed it.\n\nOn Wed, 3 Apr 2024 at 14:00, Service Desk <desk@example.org> wrote:\n\n> ##- Please type your reply above this line -##\n\nYour request 512 has been updated.\nAgent: please restart the router.\n',
      ),
    ).toBe('Thanks, that fixed it.');
  });

  it('ends the text above a rule with nothing under it', () => {
    const r = extractReply(
      'The invoice is attached again.\n\nKind regards,\nPriya\n\n________________________________\n\n',
    );
    expect(r.replyWithSignature).toBe('The invoice is attached again.\n\nKind regards,\nPriya');
  });

  it('keeps a rule with text under it', () => {
    expect(reply('Steps:\n\n----------\n1. unplug\n2. wait')).toBe(
      'Steps:\n\n----------\n1. unplug\n2. wait',
    );
  });

  it('reads a dash alone on its line above a sign-off as the signature delimiter', () => {
    const r = extractReply('Confirmed for 3pm.\n\n—\nSent from Mailbox\n');
    expect(r.reply).toBe('Confirmed for 3pm.');
    expect(r.signature).toBe('—\nSent from Mailbox');
  });
});
