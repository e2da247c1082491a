// Issue #16, round 10: the signs of automatic mail round 9 still missed (away subjects, the mail
// system's and daemons' own senders, auto-responder and program headers, Exchange's rule and agent
// marks, spam verdicts) and the person's mail that must keep its automatic answer.
import { describe, expect, it } from 'vitest';

import type { Classification } from '../types.js';
import { classifyMessage, suppressesAutoResponse } from './classify.js';
import { parseMessage } from './parse.js';

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};
const classify = async (headers: string, body = 'The invoice total looks wrong to me.') =>
  classifyMessage(
    await parseMessage(
      Buffer.from(
        `${headers.trim()}\nTo: support@inlet.test\nContent-Type: text/plain; charset=utf-8\n\n${body}\n`.replace(
          /\r?\n/g,
          '\r\n',
        ),
      ),
    ),
    ctx,
  );
const answered = (c: Classification) => !suppressesAutoResponse(c);
const person = 'From: Dana Fields <dana@example.org>';

describe('away subjects', () => {
  it('reads Italian, Japanese and Chinese out-of-office subjects', async () => {
    for (const subject of [
      'Risposta Non al computer: Fattura 2231',
      '自動返信: ご注文の件',
      '自动答复: 关于订单',
    ]) {
      const c = await classify(`${person}\nSubject: ${subject}`, 'Sono fuori fino a lunedì.');
      expect([subject, c.kind]).toEqual([subject, 'auto_reply']);
    }
  });

  it('reads "Auto:" over an empty subject, or over a body that says the writer is away', async () => {
    const bare = await classify(`${person}\nSubject: Auto:`);
    const away = await classify(
      `${person}\nSubject: Auto: Invoice 2231`,
      'I am out of the office until 14 December and will answer then.',
    );
    expect([bare.kind, away.kind]).toEqual(['auto_reply', 'auto_reply']);
  });

  it('keeps "Auto: car for sale" a person\'s mail, answered', async () => {
    const c = await classify(
      `${person}\nSubject: Auto: car for sale`,
      'Is the blue estate still available? I can come on Saturday.',
    );
    expect(c).toEqual({ kind: 'human', reasons: [] });
  });

  it('answers a person who replies about auto-reply settings', async () => {
    const c = await classify(
      `${person}\nSubject: Re: Automatic reply settings do not save`,
      'I switched it off twice and it still answers my customers.',
    );
    expect(c).toEqual({ kind: 'human', reasons: [] });
  });
});

describe('the mail system and daemons as senders', () => {
  it('does not answer mailer, uucp, VERP bounce or list-request addresses', async () => {
    for (const from of [
      'mailer@mx.example.org',
      'uucp@example.org',
      'bounces+8812-dana=example.org@mail.example.net',
      '-request@lists.example.org',
      'www-data@web1.example.org',
    ]) {
      const c = await classify(`From: ${from}\nSubject: Status`);
      expect([from, c.kind, answered(c)]).toEqual([from, 'auto_reply', false]);
    }
  });

  // Mail from MAILER-DAEMON stays a bounce even with no failure Inlet can read (bounce sets hold
  // real ones in forms it does not know); it is never answered either way.
  it("reads a mailer-daemon's failure report as a bounce", async () => {
    const c = await classify(
      'From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender',
      '<nobody@example.net>: host mx.example.net said: 550 5.1.1 User unknown',
    );
    expect(c.kind).toBe('bounce');
  });

  it("keeps a role mailbox's mail human, without an automatic answer", async () => {
    for (const from of ['postmaster@example.org', 'Vendor Support <support@vendor.example>']) {
      const c = await classify(`From: ${from}\nSubject: About ticket 4410`);
      expect([from, c]).toEqual([from, { kind: 'human', reasons: ['role_sender'] }]);
    }
  });
});

describe('headers auto-responders and programs set', () => {
  it('reads X-Autoresponder, X-Autoresponse, X-Autosubmitted, X-Vacation and a vacation X-Mailer', async () => {
    for (const header of [
      'X-Autoresponder: yes',
      'X-Autoresponse: vacation',
      'X-Autosubmitted: auto-generated',
      'X-Vacation: yes',
      'X-Mailer: vacation 1.2.7',
    ]) {
      const c = await classify(`${person}\n${header}\nSubject: Invoice 2231`);
      expect([header, c.kind]).toEqual([header, 'auto_reply']);
    }
  });

  it('answers mail whose X-Autosubmitted says no', async () => {
    const c = await classify(`${person}\nX-Autosubmitted: no\nSubject: Invoice 2231`);
    expect(c).toEqual({ kind: 'human', reasons: [] });
  });

  it("reads cron's output and FirstClass's machine-generated mark", async () => {
    const cron = await classify(
      'From: Cron Daemon <ops@example.org>\nX-Cron-Env: <SHELL=/bin/sh>\nSubject: Cron <ops@db1> backup',
      'backup finished in 42 s',
    );
    const fc = await classify(`${person}\nX-FC-MachineGenerated: true\nSubject: Receipt`);
    expect([cron.reasons, fc.reasons]).toEqual([['cron_output'], ['machine_generated']]);
  });

  it("does not answer an older list manager's post (X-Mailing-List)", async () => {
    const c = await classify(`${person}\nX-Mailing-List: <users@lists.example.org>\nSubject: Hi`);
    expect(c).toEqual({ kind: 'human', reasons: ['list_traffic'] });
  });

  it("answers a person's mail relayed by an email service (Feedback-ID says who relayed it)", async () => {
    const c = await classify(`${person}\nFeedback-ID: 881:acct42:ses:example\nSubject: Invoice`);
    expect(answered(c)).toBe(true);
  });
});

describe('X-Auto-Response-Suppress: a request, not a sign of a machine', () => {
  it('keeps the mail human and sends no acknowledgement when it forbids auto-replies', async () => {
    for (const value of ['All', 'DR, OOF, AutoReply']) {
      const c = await classify(`${person}\nX-Auto-Response-Suppress: ${value}\nSubject: Invoice`);
      expect([value, c]).toEqual([value, { kind: 'human', reasons: ['auto_response_suppressed'] }]);
    }
  });

  it('acknowledges mail that only forbids out-of-office notices and receipts', async () => {
    const c = await classify(
      `${person}\nX-Auto-Response-Suppress: DR, RN, NRN, OOF\nSubject: Invoice`,
    );
    expect(c).toEqual({ kind: 'human', reasons: [] });
  });
});

describe('Exchange rules and agents', () => {
  it('does not answer mail an inbox rule passed on, nor mail a server agent generated', async () => {
    const rule = await classify(
      `${person}\nX-MS-Exchange-Inbox-Rules-Loop: dana@example.org\nSubject: FW: Invoice`,
    );
    const agent = await classify(
      `${person}\nX-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\nSubject: Invoice`,
    );
    expect([rule, agent]).toEqual([
      { kind: 'human', reasons: ['loop_header'] },
      { kind: 'human', reasons: ['server_generated'] },
    ]);
  });
});

describe('spam verdicts', () => {
  it('keeps mail a filter called spam, without an acknowledgement to a likely forged sender', async () => {
    for (const header of [
      'X-Spam-Flag: YES',
      'X-Spam-Status: Yes, score=9.1 required=5.0',
      'X-DSPAM-Result: Spam',
    ]) {
      const c = await classify(`${person}\n${header}\nSubject: Invoice 2231`);
      expect([header, c]).toEqual([header, { kind: 'human', reasons: ['spam_flagged'] }]);
    }
  });

  it('answers mail the filter passed', async () => {
    const c = await classify(
      `${person}\nX-Spam-Flag: NO\nX-Spam-Status: No, score=1.2 required=5.0\nSubject: Invoice`,
    );
    expect(c).toEqual({ kind: 'human', reasons: [] });
  });
});
