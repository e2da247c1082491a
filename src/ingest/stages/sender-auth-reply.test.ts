// Bad input 17 (nodemailer GHSA-mm7p-fcc7-pg87, CPython CVE-2023-27043): whatever the From's
// display name or quoted local part claims, the one parser's addr-spec becomes the ticket's
// requester and the only recipient of the agent's reply.
import { simpleParser } from 'mailparser';
import { describe, expect, test } from 'vitest';

import { decide, item } from '../../../test/helpers/page-decide.js';
import { isAppError } from '../../errors.js';
import { composeReply } from '../../outbound/compose-reply.js';
import { checkStoredAddress } from '../../outbound/header-safety.js';

const requesterOf = async (from: string) => {
  const raw = `From: ${from}\r\nTo: support@acme.example\r\nSubject: Wire transfer\r\nMessage-ID: <${Math.random()}@x>\r\n\r\nPlease pay.\r\n`;
  const { plan } = decide([await item(Buffer.from(raw))]);
  return plan.tickets[0]!.requester!;
};

const replyTo = async (to: { name: string; address: string }) =>
  simpleParser(
    await composeReply({
      from: { name: 'Acme Support', address: 'support@acme.example' },
      to,
      cc: [],
      subject: 'Re: Wire transfer [#1001]',
      messageId: '<inlet.abc@acme.example>',
      inReplyTo: null,
      references: [],
      date: new Date('2026-01-02T03:04:05Z'),
      text: 'Hello',
      html: null,
      attachments: [],
      ticketNumber: 1001,
    }),
  );

describe('reply addresses come from the addr-spec only', () => {
  test.each([
    '"ceo@corp.example" <attacker@evil.example>',
    'ceo@corp.example <attacker@evil.example>',
    '"ceo@corp.example, boss@corp.example" <attacker@evil.example>',
    '=?UTF-8?Q?ceo=40corp.example=2C_boss=40corp.example?= <attacker@evil.example>',
  ])('%s → the reply goes to attacker@evil.example alone', async (from) => {
    const requester = await requesterOf(from);
    expect(requester.address).toBe('attacker@evil.example');
    const reply = await replyTo(checkStoredAddress(requester, 'requester'));
    const to = [reply.to].flat().flatMap((t) => t!.value);
    expect(to.map((a) => a.address)).toEqual(['attacker@evil.example']);
    expect(reply.cc).toBeUndefined();
  });

  test('a quoted local part holding another address is refused as a recipient, never split', async () => {
    const requester = await requesterOf('"victim@corp.example x"@evil.example');
    expect(requester.address).toBe('"victim@corp.example x"@evil.example');
    let code: string | null = null;
    try {
      checkStoredAddress(requester, 'requester');
    } catch (e) {
      code = isAppError(e) ? e.code : 'other';
    }
    expect(code).toBe('unprocessable');
  });
});
