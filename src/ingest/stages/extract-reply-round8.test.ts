// Reply extraction on mail of our own for the classes issue #16's round 8 named: quote markers a
// client HTML-escaped ("&gt; "); Gmail's placeholder for a folded quote ("[Quoted text hidden]")
// in its languages; an attribution quoted with the rest of the earlier message and the answer
// under it; forum and notification "Posted by … on …" lines over a quote, and only there; and
// "Sent by/via/on/with …" read as a device sign-off only when it names a device or an app.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;

describe('reply extraction, round 8', () => {
  it('reads "&gt;"-escaped markers as a quote', () => {
    expect(
      reply(
        'Yes, the new cable fixed it.\n\n&gt; Could you try another cable?\n&gt;&gt; The printer stays offline.\n',
      ),
    ).toBe('Yes, the new cable fixed it.');
    expect(
      reply(
        'Yes, the new cable fixed it.\n\nOn Tue, 2 Jan 2024 at 09:15, Help Desk <help@example.com> wrote:\n&gt; Could you try another cable?\n',
      ),
    ).toBe('Yes, the new cable fixed it.');
    // Bottom-posted under an escaped quote that opens with its attribution.
    expect(
      reply(
        '&gt; On Tue, 2 Jan 2024, Help Desk <help@example.com> wrote:\n&gt; Could you try another cable?\n\nYes, that fixed it.\n',
      ),
    ).toBe('Yes, that fixed it.');
    // The client escaped the whole text: its date-first attribution and the person's '&' too.
    expect(
      reply(
        'Cables &amp; plugs are fine now.\n\n2024/1/2 Help Desk &lt;help@example.com&gt;\n&gt; Could you try another cable?\n',
      ),
    ).toBe('Cables & plugs are fine now.');
  });

  it('keeps "&gt;" that does not open a line', () => {
    const text = 'The log says temperature &gt; 90 at 10:00.\nIs that normal?';
    expect(reply(text)).toBe(text);
  });

  it("drops Gmail's folded-quote placeholder in its languages", () => {
    for (const placeholder of [
      '[Quoted text hidden]',
      '- Show quoted text -',
      '[Texto citado oculto]',
      '[Texto das mensagens anteriores oculto]',
      '[Texte des messages précédents masqué]',
      '[Zitierter Text ausgeblendet]',
      '[Geciteerde tekst verborgen]',
      '[Цитируемый текст скрыт]',
    ]) {
      expect(reply(`The refund arrived, thank you.\n\n${placeholder}\n`)).toBe(
        'The refund arrived, thank you.',
      );
      expect(reply(`The refund arrived, thank you.\n${placeholder}\n\nJohn\n`)).toBe(
        'The refund arrived, thank you.',
      );
    }
  });

  it('keeps a bracketed line that only mentions quoted text', () => {
    const text =
      'See the form below.\n\n[Quoted text from the contract, section 4]\n\nIs it valid?';
    expect(reply(text)).toBe(text);
  });

  it('takes the answer under a quote that carries its own attribution', () => {
    for (const attribution of [
      'On Tue, 2 Jan 2024 at 09:15, Help Desk <help@example.com> wrote:',
      'Le mar. 2 janv. 2024 à 09:15, Help Desk <help@example.com> a écrit :',
      'Help Desk wrote:',
      '-----Original Message-----',
      'From: Help Desk <help@example.com>\n> Sent: Tuesday, January 2, 2024 9:15 AM\n> Subject: Printer',
    ])
      expect(
        extractReply(
          `> ${attribution}\n>\n>> Could you try another cable?\n>> Help Desk\n\nThat worked, thanks.\n\nMaria\n`,
        ),
      ).toMatchObject({ reply: 'That worked, thanks.\n\nMaria', hasQuote: true });
  });

  it('still keeps a bare quote over an answer: it says what the answer answers', () => {
    const inline = '> Which printer model?\n\nA LaserJet 4000.';
    expect(reply(inline)).toBe(inline);
  });

  it('reads "Posted by … on …" as an attribution over a quote', () => {
    for (const posted of [
      'Posted by Jane Roe on 2 Jan 2024 09:15',
      'Posted on 2 Jan 2024 at 09:15 by Jane Roe:',
      'Publié par Jane Roe le 2 janvier 2024 à 09:15',
      'Gepostet von Jane Roe am 02.01.2024',
    ])
      expect(
        reply(`I agree, the update broke it.\n\n${posted}\n> The update is fine here.\n`),
      ).toBe('I agree, the update broke it.');
  });

  it('keeps "Posted by … on …" with no quote under it', () => {
    const text =
      'Our notice was posted by the office on 2 Jan 2024.\n\nPosted by Jane Roe on 2 Jan 2024 09:15\nThe meeting moved to Friday.';
    expect(reply(text)).toBe(text);
  });

  it('does not cut at a "Sent by/via/on/with" line that names no device or app', () => {
    for (const line of [
      'Sent by post yesterday',
      'Sent via fax',
      'Sent on Monday',
      'Sent with love',
    ])
      expect(reply(`I returned the form.\n${line}\nPlease confirm when it arrives.`)).toBe(
        `I returned the form.\n${line}\nPlease confirm when it arrives.`,
      );
  });

  it('still drops "Sent by/via/with" sign-offs that name a device or an app', () => {
    for (const line of [
      'Sent by my iPhone',
      'Sent via Superhuman',
      'Sent with Spark',
      'Sent using the mobile mail app',
      'Sent on my BlackBerry',
      'Sent with BlackBerry Work',
    ])
      expect(
        reply(
          `It works now.\n\n${line}\n\nOn Tue, 2 Jan 2024, Help Desk <help@example.com> wrote:\n> Try again.\n`,
        ),
      ).toBe('It works now.');
  });
});
