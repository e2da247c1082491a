// Reply-To deception: a Reply-To at another organisation that passes itself off as the From is
// flagged (reply_to_impersonation), and the reply still goes to the Reply-To, as documented (a new
// ticket's requester is the first Reply-To with an address, else the From).
import { domainToUnicode } from 'node:url';

import { describe, expect, test } from 'vitest';

import { decide, item } from '../../../test/helpers/page-decide.js';

const ingest = async (from: string, replyTo: string | null) => {
  const raw =
    `From: ${from}\r\n${replyTo === null ? '' : `Reply-To: ${replyTo}\r\n`}` +
    `To: support@acme.example\r\nSubject: Change of bank details\r\n` +
    `Message-ID: <${Math.random()}@x>\r\n\r\nPlease use our new account from now on.\r\n`;
  const { plan } = decide([await item(Buffer.from(raw))]);
  return {
    flags: plan.messages[0]!.headers.sender_auth?.deception ?? [],
    requester: plan.tickets[0]!.requester!.address,
  };
};

describe('a Reply-To that passes itself off as the From', () => {
  test.each([
    // The name claims the From's address; the address is elsewhere.
    ['Dana Ito <dana@client.example>', '"dana@client.example" <dana.ito.billing@freemail.test>'],
    ['Dana Ito <dana@client.example>', 'dana@client.example <pay@elsewhere.test>'],
    // Look-alike domains of the From's: another spelling, script, top-level domain or prefix.
    ['Dana Ito <dana@client.example>', 'Dana Ito <dana@c1ient.example>'],
    ['Dana Ito <dana@northwind.example>', 'Dana Ito <dana@northvvind.example>'],
    ['Dana Ito <dana@client.example>', 'Dana Ito <dana@client.test>'],
    ['Dana Ito <dana@acme-client.example>', 'Dana Ito <dana@acmeclient.test>'],
    ['Dana Ito <dana@client.example>', 'Dana Ito <dana@xn--lient-0ye.example>'], // Cyrillic с
    ['Dana Ito <dana@client.example>', 'Dana Ito <dana@client.example.secure-pay.test>'],
    ['Dana Ito <dana@client.example>', 'Dana Ito <dana@client.example-billing.test>'],
    ['Dana Ito <dana@modern.example>', 'Dana Ito <dana@rnodern.example>'],
  ])('From %s, Reply-To %s → flagged; the reply still goes to the Reply-To', async (from, rt) => {
    const { flags, requester } = await ingest(from, rt);
    expect(flags).toContain('reply_to_impersonation');
    // The parser shows an IDN's letters (xn--lient-0ye → сlient with a Cyrillic с).
    const [local, domain] = rt.slice(rt.lastIndexOf('<') + 1, -1).split('@');
    expect(requester).toBe(`${local}@${domainToUnicode(domain!)}`);
  });

  test.each([
    // A mailing list, a web form, a mailing service: a Reply-To elsewhere that claims nothing.
    ['Dana Ito <dana@client.example>', 'Users list <users@lists.project.test>'],
    ['Web form <forms@formservice.test>', 'Kim Park <kim.park@freemail.test>'],
    ['Northwind News <news@northwind.example>', 'Northwind <reply@northwind-mail.test>'],
    // One organisation: subdomains, and a country domain under co.uk.
    [
      'Dana Ito <dana@mail.client.example>',
      '"dana@mail.client.example" <dana@help.client.example>',
    ],
    ['Dana Ito <dana@shop.client.co.uk>', 'dana@shop.client.co.uk <billing@client.co.uk>'],
    // The same address, or none.
    ['Dana Ito <dana@client.example>', 'Dana Ito <dana@client.example>'],
  ])('From %s, Reply-To %s → not flagged', async (from, rt) => {
    expect((await ingest(from, rt)).flags).not.toContain('reply_to_impersonation');
  });

  test('without a Reply-To nothing changes: the From is the requester', async () => {
    expect(await ingest('"Dana Ito" <dana@client.example>', null)).toEqual({
      flags: [],
      requester: 'dana@client.example',
    });
  });
});
