// Issue #16, round 9: machine mail a helpdesk must not answer automatically, told by its headers
// and its sender (classify-machine.ts), and the person's mail that must still be answered.
import { describe, expect, it } from 'vitest';

import type { Classification } from '../types.js';
import { classifyMessage, suppressesAutoResponse } from './classify.js';
import { parseMessage } from './parse.js';

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};
const classify = async (headers: string, body = 'My invoice total looks wrong.') =>
  classifyMessage(
    await parseMessage(
      Buffer.from(
        `${headers.trim()}\nTo: support@inlet.test\nContent-Type: text/plain\n\n${body}\n`.replace(
          /\r?\n/g,
          '\r\n',
        ),
      ),
    ),
    ctx,
  );
const answered = (c: Classification) => !suppressesAutoResponse(c);

describe('loop guards', () => {
  it('keeps mail a procmail forward stamped with X-Loop human, without an automatic answer', async () => {
    const c = await classify(`From: Dana Fields <dana@example.org>
X-Loop: forwarder@example.org
Subject: Invoice 2231`);
    expect(c).toEqual({ kind: 'human', reasons: ['loop_header'] });
    expect(answered(c)).toBe(false);
  });

  it("does not answer another helpdesk's mail (Request Tracker, OTRS)", async () => {
    const rt = await classify(`From: "Agent via RT" <help@vendor.example>
X-RT-Loop-Prevention: vendor.example
Subject: [vendor.example #881] Your delivery`);
    const otrs = await classify(`From: Service <service@shop.example>
X-OTRS-Loop: yes
Subject: Ticket#2024010110000011 received`);
    expect([answered(rt), answered(otrs)]).toEqual([false, false]);
    expect(rt.kind).toBe('human');
  });

  it('answers mail whose OTRS loop flag says no', async () => {
    const c = await classify(`From: Dana Fields <dana@example.org>
X-OTRS-Loop: no
Subject: Invoice 2231`);
    expect(c).toEqual({ kind: 'human', reasons: [] });
  });
});

describe('mailing-list headers', () => {
  it('does not answer a newsletter that carries only List-Unsubscribe', async () => {
    const c = await classify(`From: Garden Shop <news@garden.example>
List-Unsubscribe: <https://garden.example/u/9f2>, <mailto:leave@garden.example>
Subject: Spring bulbs are here`);
    // news@ is a role mailbox too (round 10): named, and equally without an answer.
    expect(c).toEqual({ kind: 'human', reasons: ['list_traffic', 'role_sender'] });
    expect(answered(c)).toBe(false);
  });

  it('reads List-Post and ezmlm Mailing-List as a list, and Precedence: list with them as a list post', async () => {
    const post = await classify(`From: Dana Fields <dana@example.org>
List-Post: <mailto:users@lists.example.org>
Precedence: list
Subject: Printer driver question`);
    const ezmlm = await classify(`From: Dana Fields <dana@example.org>
Mailing-List: contact users-help@lists.example.org; run by ezmlm
Subject: Printer driver question`);
    expect(post).toEqual({ kind: 'human', reasons: ['list_traffic'] });
    expect(ezmlm).toEqual({ kind: 'human', reasons: ['list_traffic'] });
  });
});

describe('Precedence', () => {
  it('reads every Precedence field, not only the first', async () => {
    const c = await classify(`From: Reports <reports@example.org>
Precedence: first-class
Precedence: bulk
Subject: Weekly figures`);
    expect(c).toEqual({ kind: 'auto_reply', reasons: ['precedence:bulk'] });
  });
});

describe('senders nobody reads', () => {
  it('does not answer a no-reply notice', async () => {
    const plain = await classify(`From: Parcel Service <no-reply@parcels.example>
Subject: Your parcel is on its way`);
    const tagged = await classify(`From: Billing <donotreply+billing@shop.example>
Reply-To: noreply@shop.example
Subject: Receipt`);
    expect(plain).toEqual({ kind: 'auto_reply', reasons: ['no_reply_sender'] });
    expect(tagged).toEqual({ kind: 'auto_reply', reasons: ['no_reply_sender'] });
  });

  it('answers the customer a web form relays from a no-reply address through Reply-To', async () => {
    const c = await classify(`From: Website <noreply@shop.example>
Reply-To: Dana Fields <dana@example.org>
Subject: Contact form: invoice 2231`);
    expect(c).toEqual({ kind: 'human', reasons: [] });
  });

  it("does not answer list software's own addresses (a -request or -confirm address)", async () => {
    const request = await classify(`From: users-request@lists.example.org
Subject: Welcome to the users list`);
    const confirm = await classify(`From: users-confirm+5b1e@lists.example.org
Subject: Please confirm your subscription`);
    expect(request).toEqual({ kind: 'auto_reply', reasons: ['list_software_sender'] });
    expect(confirm).toEqual({ kind: 'auto_reply', reasons: ['list_software_sender'] });
  });

  it('leaves addresses that only look alike to people', async () => {
    for (const from of [
      'nora.reply@example.org',
      'noreplyfan@example.org',
      'request@example.org',
    ]) {
      const c = await classify(`From: ${from}\nSubject: Question about my order`);
      expect(c, from).toEqual({ kind: 'human', reasons: [] });
    }
  });
});

describe('auto-reply subjects in more languages', () => {
  it('recognises Danish, German and Italian out-of-office subjects', async () => {
    for (const subject of ['Autosvar: Faktura 2231', 'Abwesend: Rechnung', 'Fuori sede: fattura']) {
      const c = await classify(`From: Dana Fields <dana@example.org>\nSubject: ${subject}`);
      expect(c, subject).toEqual({ kind: 'auto_reply', reasons: ['out_of_office_subject'] });
    }
  });
});
