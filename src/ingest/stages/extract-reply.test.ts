import { describe, expect, it } from 'vitest';

import { extractReply, extractReplyFromHtml } from './extract-reply.js';

const QUOTE = '> Can you reset my password?\n> Thanks\n';

describe('extractReply', () => {
  it('cuts a Gmail-style quote and reports it', () => {
    const r = extractReply(
      `Done, it is reset.\n\nOn Tue, 4 Mar 2025 at 10:02, Ana Silva <ana@example.org> wrote:\n${QUOTE}`,
    );
    expect(r).toMatchObject({
      reply: 'Done, it is reset.',
      hasQuote: true,
      hasSignature: false,
      signature: null,
    });
  });

  it('recognises an attribution wrapped over several lines', () => {
    const text = `Works now.\n\nOn Tue, 4 Mar 2025 at 10:02, Ana Silva <\nana@example.org> wrote:\n\n${QUOTE}`;
    expect(extractReply(text).reply).toBe('Works now.');
  });

  it.each([
    ['French', 'Le 3 mars 2025 à 09:15, Marc Dupont <marc@example.fr> a écrit :'],
    ['German', 'Am 03.03.2025 um 09:15 schrieb Jan Meier <jan@example.de>:'],
    ['Spanish', 'El 3/3/2025 9:15, Lucía Pérez <lucia@example.es> escribió:'],
    ['Dutch', 'Op 3 maart 2025 09:15 schreef Piet de Vries <piet@example.nl>:'],
    ['Polish', 'W dniu 3.03.2025 o 09:15 Anna Nowak <anna@example.pl> napisał(a):'],
    ['Russian', '3 марта 2025 г., в 09:15, Иван <ivan@example.ru> написал:'],
    ['Gmail date-first', '2025-03-03 9:15 GMT+01:00 Sam Lee <sam@example.com>:'],
  ])('cuts a %s quote header', (_lang, header) => {
    expect(extractReply(`Thank you very much.\n\n${header}\n\n${QUOTE}`).reply).toBe(
      'Thank you very much.',
    );
  });

  it('cuts an Outlook header block and an "Original Message" separator', () => {
    const outlook =
      'See attached.\n\n________________________________\nFrom: Ana Silva <ana@example.org>\nSent: Tuesday, March 4, 2025 10:02 AM\nTo: Support <help@example.com>\nSubject: Password\n\nCan you reset it?';
    expect(extractReply(outlook)).toMatchObject({ reply: 'See attached.', hasQuote: true });
    const original =
      'Fine by me.\n\n-----Original Message-----\nFrom: Ana\nSent: Monday\n\nOld text';
    expect(extractReply(original).reply).toBe('Fine by me.');
  });

  it('keeps a single "From:" line in prose', () => {
    const text = 'The export comes from: our database, not From: the CRM.\n\nPlease check.';
    expect(extractReply(text)).toMatchObject({ reply: text, hasQuote: false });
  });

  it('recognises attributions in any letter case, wrapped between the two words of the verb too', () => {
    expect(
      extractReply(`Thanks.\n\nON TUE, 4 MAR 2025, ANA <ANA@EXAMPLE.ORG> WROTE:\n${QUOTE}`).reply,
    ).toBe('Thanks.');
    expect(
      extractReply(
        `Merci.\n\nLe 3 mars 2025 à 09:15, Marc Dupont <marc@example.fr> A\nÉCRIT :\n${QUOTE}`,
      ).reply,
    ).toBe('Merci.');
    expect(
      extractReply(`Danke.\n\nAm 03.03.2025 um 09:15 \u017fchrieb Jan <jan@example.de>:\n${QUOTE}`)
        .reply,
    ).toBe('Danke.');
  });

  it('does not treat sentences starting with "On" as attributions', () => {
    const text = 'On the whole it works.\nOn Monday we deploy, I wrote the notes:\n\nSee you.';
    expect(extractReply(text).reply).toBe(text);
  });

  it('separates a "-- " signature and keeps it in replyWithSignature', () => {
    const r = extractReply('Here you go.\n\n-- \nAna Silva\nSupport lead\n');
    expect(r).toMatchObject({
      reply: 'Here you go.',
      hasSignature: true,
      signature: '-- \nAna Silva\nSupport lead',
    });
    expect(r.replyWithSignature).toBe('Here you go.\n\n-- \nAna Silva\nSupport lead');
  });

  it('strips mobile signatures but not sentences that start the same way', () => {
    expect(extractReply('Yes please.\n\nSent from my iPhone').reply).toBe('Yes please.');
    expect(extractReply('Oui.\n\nEnvoyé de mon iPad').reply).toBe('Oui.');
    const prose = 'Yes please.\n\nSent from my desk, which is easier than my phone.';
    expect(extractReply(prose)).toMatchObject({ reply: prose, hasSignature: false });
  });

  it('treats text after a mobile signature as the earlier message when clients do not quote', () => {
    const r = extractReply('Confirmed.\n\nSent from my Galaxy\n\nYour order 123 has shipped.');
    expect(r).toMatchObject({ reply: 'Confirmed.', hasQuote: true, hasSignature: true });
  });

  it('keeps the new text of a bottom-posted reply and of inline replies', () => {
    expect(
      extractReply(`On Tue, 4 Mar 2025, Ana <ana@example.org> wrote:\n${QUOTE}\nDone.`).reply,
    ).toBe('Done.');
    const inline =
      'See below.\n\n> First question?\n\nAnswer one.\n\n> Second question?\n\nAnswer two.';
    expect(extractReply(inline)).toMatchObject({ reply: inline, hasQuote: true });
  });

  it('returns an empty reply when the message is only a quote', () => {
    expect(
      extractReply(`On Tue, 4 Mar 2025, Ana <ana@example.org> wrote:\n${QUOTE}`),
    ).toMatchObject({ reply: '', hasQuote: true });
  });

  it('needs a quote block below a bare "Someone wrote:" line', () => {
    const text = 'Intro.\n\nSomebody wrote:\nthis is my own text after all.';
    expect(extractReply(text).reply).toBe(text);
    expect(extractReply(`Intro.\n\nSomebody wrote:\n${QUOTE}`).reply).toBe('Intro.');
  });

  it('handles CRLF line endings', () => {
    expect(
      extractReply('Ok\r\n\r\nOn Tue, 4 Mar 2025, Ana <a@example.org> wrote:\r\n> hi\r\n').reply,
    ).toBe('Ok');
  });

  it('stays fast on a huge quote', () => {
    const huge = 'Short answer.\n\n' + '> quoted line with some words in it\n'.repeat(50_000);
    expect(extractReply(huge)).toMatchObject({ reply: 'Short answer.', hasQuote: true });
  });
});

describe('extractReplyFromHtml', () => {
  it('drops a Gmail blockquote and keeps the reply text', () => {
    const html =
      '<div dir="ltr">Thanks, fixed.<br></div><div class="gmail_quote"><div>On Tue, 4 Mar 2025 at 10:02, Ana &lt;ana@example.org&gt; wrote:<br></div><blockquote class="gmail_quote"><div>Is it fixed?</div></blockquote></div>';
    expect(extractReplyFromHtml(html)).toMatchObject({ reply: 'Thanks, fixed.', hasQuote: true });
  });

  it('drops an Outlook HTML header block', () => {
    const html =
      '<p>Approved.</p><hr><p><b>From:</b> Ana<br><b>Sent:</b> Tuesday<br><b>To:</b> Support<br><b>Subject:</b> Budget</p><p>Please approve.</p>';
    expect(extractReplyFromHtml(html).reply).toBe('Approved.');
  });
});
