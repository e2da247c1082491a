// Reply extraction on mail of our own for the classes of issue #16's round 5, found by reading the
// rules of the reply sets' own parsers (talon's splitters, discourse's preprocessing and phone
// sign-offs): PGP clear-signed replies, Supercite/Gnus initials quotes, GroupWise's ">>>" header,
// more phone sign-offs, a date line with a bare address over a quote, and more captions.
import { describe, expect, it } from 'vitest';

import { extractReply } from './extract-reply.js';

const reply = (text: string) => extractReply(text).reply;

describe('reply extraction, round 5', () => {
  it('reads a PGP clear-signed reply without its armour, and undoes the dash escaping', () => {
    const r = extractReply(
      '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nThe backup finished fine.\n- --\nJane\n-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEEabc\n=abcd\n-----END PGP SIGNATURE-----\n',
    );
    expect(r.reply).toBe('The backup finished fine.');
    expect(r.signature).toBe('--\nJane');
  });

  it('cuts the quote of a PGP clear-signed reply as any other', () => {
    expect(
      reply(
        '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nDone.\n\nOn Mon, 1 Jan 2024 at 10:00, Agent <agent@example.com> wrote:\n> Please restart it.\n-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAd\n-----END PGP SIGNATURE-----\n',
      ),
    ).toBe('Done.');
  });

  it('keeps armour lines the person quotes or writes about in a sentence', () => {
    const text = 'The header reads -----BEGIN PGP SIGNED MESSAGE----- and then nothing.';
    expect(reply(text)).toBe(text);
  });

  it("reads Supercite and Gnus quotes ('JD> ') as quotes", () => {
    expect(
      reply(
        'Done, check your inbox.\n\nJane Doe writes:\n\nJD> Can you reset my password?\nJD> It expired.\n',
      ),
    ).toBe('Done, check your inbox.');
    expect(
      reply(
        'Done, check your inbox.\n\n>>>>> "Jane" == Jane Doe <jane@example.com> writes:\n\nJD> Can you reset my password?\n',
      ),
    ).toBe('Done, check your inbox.');
  });

  it('keeps lines that merely open with a word and a ">"', () => {
    const text = 'Path: Settings> Account> Password is where it is.\nThanks';
    expect(reply(text)).toBe(text);
  });

  it('cuts at the ">>> Name <address> date >>>" header GroupWise puts above the unquoted original', () => {
    for (const header of [
      '>>> Agent Smith <agent@example.com> 1/2/2024 10:00 AM >>>',
      '>>> "Agent Smith" <agent@example.com> 02.01.2024 10:00 >>>',
      '>>> Agent 01/02/24 10:00 >>>',
    ])
      expect(reply(`Fixed now.\n\n${header}\nPlease restart it.\n`)).toBe('Fixed now.');
  });

  it('leaves out more phone and webmail sign-offs', () => {
    for (const signOff of [
      '(Sent via Superhuman)',
      '[Sent from my iPhone]',
      '從我的 iPhone 傳送',
      'Diese Nachricht wurde von meinem Android Mobiltelefon mit GMX Mail gesendet.',
    ])
      expect(reply(`Ok, thanks.\n\n${signOff}\n`)).toBe('Ok, thanks.');
  });

  it('cuts at a date line ending in a bare address over a quote', () => {
    expect(
      reply('Done.\n\n02.01.2024 10:00, Agent agent@example.com\n\n> Please restart it.\n'),
    ).toBe('Done.');
  });

  it('keeps a date line with an address that no quote follows', () => {
    const text = 'Meeting moved:\n02.01.2024 10:00, ask agent@example.com\n\nSee you there.';
    expect(reply(text)).toBe(text);
  });

  it('cuts at "Antwort Nachricht" captions', () => {
    expect(
      reply(
        'Erledigt.\n\n----- Antwort Nachricht -----\nVon: Agent <agent@example.com>\n\nBitte neu starten.\n',
      ),
    ).toBe('Erledigt.');
  });
});

describe('reply extraction, round 5: closings', () => {
  it('keeps the name under more closings and leaves out the contact lines under it', () => {
    expect(reply('The invoice is paid.\n\nGroeten,\nJan\nBel: 06 12345678\nwww.example.nl\n')).toBe(
      'The invoice is paid.\n\nGroeten,\nJan',
    );
    expect(
      reply(
        'Faktura opłacona.\n\nPozdrowienia,\nJan Kowalski\nTel. +48 123 456 789\njan@example.pl\n',
      ),
    ).toBe('Faktura opłacona.\n\nPozdrowienia,\nJan Kowalski');
    expect(
      reply(
        'The invoice is paid.\n\nWith many thanks and best wishes,\nJane Roe\nSupport lead\nPhone: 020 123 4567\nwww.example.com\n',
      ),
    ).toBe('The invoice is paid.\n\nWith many thanks and best wishes,\nJane Roe');
  });
});

describe('reply extraction, round 5: code between fences', () => {
  it('keeps code between ``` fences whole, quote markers and attributions in it included', () => {
    const text =
      'Here is the config:\n\n```\n> not a quote\nOn Mon, 1 Jan 2024, Agent <agent@example.com> wrote:\n--\n```\n\nThanks';
    expect(reply(text)).toBe(text);
  });

  it('still cuts the quote under the code', () => {
    expect(
      reply(
        'Log:\n```text\n> boot\n```\nThanks\n\nOn Mon, 1 Jan 2024 at 10:00, Agent <agent@example.com> wrote:\n> Send the log.\n',
      ),
    ).toBe('Log:\n```text\n> boot\n```\nThanks');
  });
});

describe('reply extraction, round 5: more attributions', () => {
  it('cuts at a list relaying the sender ("Jane via Discourse wrote:") with no quote marks under it', () => {
    expect(
      reply('Ok.\n\nAgent Smith via Discourse Meta wrote:\n\nPlease restart it.\nThanks\n'),
    ).toBe('Ok.');
  });

  it('keeps a sentence that mentions what someone wrote via a tool', () => {
    const text = 'Ok.\n\nThe note Agent Smith via the portal wrote is wrong:\n\nIt says restart.';
    expect(reply(text)).toBe(text);
  });

  it("cuts at Gmail's ISO-dated attribution with the address left out", () => {
    expect(reply('Ok.\n\n2024-01-02 10:00 GMT+01:00 Agent Smith\n\n> Please restart it.\n')).toBe(
      'Ok.',
    );
  });
});
