// Reply extraction on mail of our own showing each failure class of issue #16: attributions right
// under a sentence with an address, wrapped or dated attributions, signatures under a quote,
// '|'-quoted forwards, answers written below a quote, and the closing the person wrote.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;

describe('reply extraction, round 2', () => {
  it('keeps a sentence with an address that sits right above "On … wrote:"', () => {
    expect(
      reply(
        'Send it to jane@example.com please.\nOn Mon, 1 Jan 2024 at 10:00, Agent <agent@example.com> wrote:\n> We reset it.\n',
      ),
    ).toBe('Send it to jane@example.com please.');
  });

  it('removes a Dutch attribution wrapped over two lines whole', () => {
    const text =
      'Graag morgen, dank je.\nOp 1 jan. 2024 10:00 schreef "Agent" <agent@example.com> het\nvolgende geschreven:\n\n> We hebben het hersteld.\n';
    expect(reply(text)).toBe('Graag morgen, dank je.');
  });

  it('removes a German attribution with the date after the verb', () => {
    expect(
      reply(
        'Hallo, geht wieder!\n\nAgent Smith <agent@example.com> schrieb am Di., 2.\nJan. 2024 um 08:30 Uhr:\n\n> Geht es wieder?\n',
      ),
    ).toBe('Hallo, geht wieder!');
  });

  it('drops a quote that has a signature under it, and keeps the signature out of reply', () => {
    const r = extractReply(
      'Works now, thanks.\n\n> On Mon, 1 Jan 2024, Agent wrote:\n> Please reinstall the driver.\n\n--\nJane\n',
    );
    expect(r.reply).toBe('Works now, thanks.');
    expect(r.replyWithSignature).toBe('Works now, thanks.\n\n--\nJane');
  });

  it('removes a dated attribution whose address wraps onto the next line', () => {
    expect(
      reply(
        'Fixed on my side.\n\n2024-01-02 08:30 GMT+01:00 Agent Smith <\nagent@example.com>:\n\n> Did the update help?\n',
      ),
    ).toBe('Fixed on my side.');
  });

  it('removes an attribution wrapped around a blank line and a "> wrote:" tail', () => {
    expect(
      reply(
        'Yes, it did.\n\nOn Tue, 2 Jan 2024 at 08:30 Agent Smith\n\n<\nmailto:agent@example.com>\n> wrote:\n\n> Did it work?\n',
      ),
    ).toBe('Yes, it did.');
  });

  it("removes a forward quoted with '|' under a dated sender line", () => {
    expect(
      reply(
        'See below.\n\n2024/01/02 Agent via Helpdesk <agent@example.com>\n\n| Your ticket was updated.\n|\n| Reply above this line.\n',
      ),
    ).toBe('See below.');
  });

  it('keeps answers written below the quote', () => {
    const r = reply(
      'Hi Agent,\n\nOn Mon, 1 Jan 2024 at 10:00, Agent <agent@example.com> wrote:\n> Which printer?\n\nThe one on floor 2.\n\n> Since when?\n\nSince Monday.\n',
    );
    expect(r).toContain('Hi Agent,');
    expect(r).toContain('The one on floor 2.');
    expect(r).toContain('Since Monday.');
    // Round 7: answers between questions keep every question they answer, the first one with its
    // attribution too (before, "The one on floor 2." stood under nothing).
    expect(r).toContain(
      'On Mon, 1 Jan 2024 at 10:00, Agent <agent@example.com> wrote:\n> Which printer?',
    );
  });

  it('keeps the closing and the name the person wrote', () => {
    expect(
      reply(
        'It works again.\n\nBest regards,\nJane\n\nOn Mon, 1 Jan 2024 at 10:00, Agent <agent@example.com> wrote:\n> Try again.\n',
      ),
    ).toBe('It works again.\n\nBest regards,\nJane');
  });

  it("leaves out a mailing list's footer under a rule, keeping the person's sign-off", () => {
    const footer =
      '\n\n_______________________________________________\nprinters mailing list\nprinters@lists.example.com\nhttps://lists.example.com/mailman/listinfo/printers\n';
    expect(reply(`Tray 2 jams after every tenth page.\n\n-Jane${footer}`)).toBe(
      'Tray 2 jams after every tenth page.\n\n-Jane',
    );
    // A rule of underscores over the person's own lines is not a footer.
    expect(
      reply(
        'Steps so far:\n______________________________\nreseated the tray\ncleaned the rollers\n',
      ),
    ).toBe('Steps so far:\n______________________________\nreseated the tray\ncleaned the rollers');
  });
});
