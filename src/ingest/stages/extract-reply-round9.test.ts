// Reply extraction on mail of our own for the class round 8's fresh sets showed (issue #16): a
// phone's sign-off whose device name is long or lists the carrier first, as carriers and vendors
// write it ("Sent from my Verizon, Samsung Galaxy smartphone"), in English and other languages —
// and prose that only starts like one stays the person's text.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;

describe('reply extraction, round 9', () => {
  it('reads a carrier-branded or long device sign-off as the signature', () => {
    expect(
      reply('The refund arrived, thank you!\n\nSent from my Verizon, Samsung Galaxy smartphone\n'),
    ).toBe('The refund arrived, thank you!');
    expect(
      reply('Please cancel order 4471.\n\nSent from my Huawei Mate 20 Pro on the Vodafone network'),
    ).toBe('Please cancel order 4471.');
    expect(
      reply('Funciona otra vez.\n\nEnviado desde mi Samsung Galaxy S21 Ultra de Movistar'),
    ).toBe('Funciona otra vez.');
    expect(reply('Passt jetzt.\n\nGesendet von meinem Xiaomi Redmi Note 12 Pro über O2')).toBe(
      'Passt jetzt.',
    );
  });

  it('keeps the sign-off in replyWithSignature and as the signature', () => {
    const r = extractReply(
      'Works again.\n\nSent from my Android tablet running K-9 Mail 6.4 beta\n\nOn Tue, 2 Jan 2024 at 09:15, Help Desk <help@example.com> wrote:\n> Please restart it.\n',
    );
    expect(r.reply).toBe('Works again.');
    expect(r.signature).toBe('Sent from my Android tablet running K-9 Mail 6.4 beta');
    expect(r.replyWithSignature).toBe(
      'Works again.\n\nSent from my Android tablet running K-9 Mail 6.4 beta',
    );
  });

  it('keeps prose that starts like a sign-off', () => {
    for (const text of [
      'Here is the form.\n\nSent from my desk, is much easier than my mobile phone.',
      'The parcel is here.\n\nSent from my office in Berlin, where the second parcel also arrived',
      "Sorry for the delay.\n\nSent from my brother's account because mine is locked out again",
    ])
      expect(reply(text)).toBe(text);
  });
});
