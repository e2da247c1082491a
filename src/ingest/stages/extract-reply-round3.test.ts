// Reply extraction on mail of our own for the failure classes found on the fresh public sets of
// issue #16's round 3: attributions in more languages, forward captions, phone signatures in more
// languages and at the top of a message, a closing and name over a signature block, company footers.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;

describe('reply extraction, round 3', () => {
  it('removes Greek and Polish (Apple Mail) attributions', () => {
    expect(
      reply(
        'Ευχαριστώ, λειτουργεί.\n\nΣτις Δευ, 1 Ιαν 2024, 10:00 π.μ. ο χρήστης Agent <agent@example.com> έγραψε:\n\n> Δοκιμάστε ξανά.\n',
      ),
    ).toBe('Ευχαριστώ, λειτουργεί.');
    expect(
      reply(
        'Drukarka znowu działa.\nWiadomość napisana przez Agent agent@example.com w dniu 01.01.2024, o godz. 10:00:\nProsimy o restart.\n',
      ),
    ).toBe('Drukarka znowu działa.');
  });

  it('keeps a line that opens like a preposition above a glued attribution', () => {
    expect(
      reply(
        "Je n'ai toujours pas reçu le colis.\nIl est indiqué comme livré.\nLe lun. 1 janv. 2024, 10:00, Service Client a écrit :\n\n    Votre colis est en route.\n",
      ),
    ).toBe("Je n'ai toujours pas reçu le colis.\nIl est indiqué comme livré.");
  });

  it('cuts at "-----Original-Nachricht-----" and keeps the closing above it', () => {
    expect(
      reply(
        'Das Gerät ist defekt angekommen.\nMit freundlichen Grüßen\n-----Original-Nachricht-----\nVon: Shop\nBetreff: Ihre Bestellung\nIhre Bestellung ist unterwegs.\n',
      ),
    ).toBe('Das Gerät ist defekt angekommen.\nMit freundlichen Grüßen');
  });

  it('removes forwarded messages under a forward caption', () => {
    expect(
      reply(
        'Can you look at this?\n\nForwarded message:\n\n*From:* Shop <shop@example.com>\n*To:* Jane <jane@example.com>\n*Subject:* Your order\n\nYour order shipped.\n',
      ),
    ).toBe('Can you look at this?');
    expect(
      reply(
        'Voir ci-dessous.\n\nDébut du message réexpédié :\n\nDe: "Boutique" <shop@example.com>\nDate: 1 janvier 2024 10:00:00 UTC+1\nÀ: jane@example.com\nObjet: Commande\n\nVotre commande est partie.\n',
      ),
    ).toBe('Voir ci-dessous.');
  });

  it('recognises phone signatures in more languages and the ones written with "using"', () => {
    for (const device of [
      'Sent using the mobile mail app',
      'Trimis de pe iPhone\u2011ul meu',
      'Lähetetty iPhonesta',
      'Az iPhone-omról küldve',
    ]) {
      const r = extractReply(
        `Yes, Tuesday works.\n${device}\n\nagent@example.com wrote:\n\nCan we call on Tuesday?\n`,
      );
      expect(r.reply).toBe('Yes, Tuesday works.');
      expect(r.signature).toBe(device);
    }
  });

  it('drops a phone line at the top of a message instead of losing the message', () => {
    expect(
      reply('Sent from my iPhone\n\nHi,\n\nThe login page is blank since this morning.\n'),
    ).toBe('Hi,\n\nThe login page is blank since this morning.');
  });

  it('keeps the closing and the name, and leaves out the block under them', () => {
    const r = extractReply(
      'Hi,\n\nThe invoice is attached.\n\nKind regards,\n\nJane Roe\n\nAccounts Payable\nACME Ltd.\n+1 555 0100\n',
    );
    expect(r.reply).toBe('Hi,\n\nThe invoice is attached.\n\nKind regards,\n\nJane Roe');
    expect(r.signature).toBe('Accounts Payable\nACME Ltd.\n+1 555 0100');
    // A postscript under the name is still the person's text.
    expect(reply('Thanks,\nJane\n\nP.S. The printer is broken too.\n')).toBe(
      'Thanks,\nJane\n\nP.S. The printer is broken too.',
    );
  });

  it("leaves out a company footer under a dotted rule but keeps a rule in the person's text", () => {
    expect(
      reply(
        'Please close my account.\n\n**. . . . . . . . .**\n\nExample Shop Ltd. is a registered company.\nhttps://shop.example.com\n',
      ),
    ).toBe('Please close my account.');
    expect(reply('Steps:\n. . . . . . .\n1. Open the app\n2. Tap login\n')).toBe(
      'Steps:\n. . . . . . .\n1. Open the app\n2. Tap login',
    );
  });

  it('removes dash-framed Android attributions and Dutch Apple Mail ones', () => {
    expect(reply('Done, thanks.\n\n---- Agent Smith wrote ----\n\nPlease try again.\n')).toBe(
      'Done, thanks.',
    );
    expect(
      reply(
        'Het werkt weer.\n\nOp 1-jan.-2024, om 10:00 heeft Agent <agent@example.com> het volgende geschreven:\n\n> Probeer het opnieuw.\n',
      ),
    ).toBe('Het werkt weer.');
  });

  it("drops a forwarded message quoted with '>' and keeps the text above and below it", () => {
    expect(
      reply(
        'See below.\n\n> Begin forwarded message:\n>\n> From: Shop <shop@example.com>\n> Date: 1 January 2024 10:00\n> Subject: Order\n>\n> Your order shipped.\n\nIt never arrived.\n',
      ),
    ).toBe('See below.\n\nIt never arrived.');
    // A quoted question between answers stays: it says what the answer answers.
    expect(reply('Hi,\n\n> Which version?\n\n2.4.1\n')).toBe('Hi,\n\n> Which version?\n\n2.4.1');
  });

  it('knows attributions, captions, phone lines and closings in more languages', () => {
    expect(
      reply(
        'Merge acum.\n\nÎn lun., 1 ian. 2024, 10:00, Agent <agent@example.com> a scris:\n\n> Reîncercați.\n',
      ),
    ).toBe('Merge acum.');
    expect(
      reply(
        'Funguje to.\n\n-----Pôvodná správa-----\nOd: Agent\nPredmet: Tiket\n\nSkúste znova.\n',
      ),
    ).toBe('Funguje to.');
    expect(
      reply(
        'Viz níže.\n\n---------- Přeposlaná zpráva ----------\nOd: Obchod <shop@example.com>\n\nObjednávka odeslána.\n',
      ),
    ).toBe('Viz níže.');
    for (const device of ['Enviado do meu iPhone', 'iPhoneから送信', 'Odesláno z iPhonu'])
      expect(reply(`Obrigado, resolvido.\n\n${device}\n`)).toBe('Obrigado, resolvido.');
    const r = extractReply(
      'Tiskárna nefunguje.\n\nS pozdravem\nJana Nováková\nÚčetní\nACME s.r.o.\n',
    );
    expect(r.reply).toBe('Tiskárna nefunguje.\n\nS pozdravem\nJana Nováková');
    expect(r.signature).toBe('Účetní\nACME s.r.o.');
  });

  it('keeps the sentence when the attribution ends the same line', () => {
    expect(
      reply(
        'Works now, thanks. On Mon, 1 Jan 2024 at 10:00, Agent <agent@example.com> wrote:\n> Please reinstall the driver.\n',
      ),
    ).toBe('Works now, thanks.');
    expect(
      reply(
        'Merci, tout fonctionne. Le lun. 1 janv. 2024 à 10:00, Agent <agent@example.com> a écrit :\n\n> Réinstallez le pilote.\n',
      ),
    ).toBe('Merci, tout fonctionne.');
  });

  it('leaves a sentence that only mentions writing alone', () => {
    const text =
      'I called him. On Monday he wrote to the vendor about it:\n> the vendor answer\n\nStill broken.\n';
    expect(extractReply(text).replyWithSignature).toContain('On Monday he wrote to the vendor');
  });
});
