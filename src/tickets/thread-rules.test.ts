import { describe, expect, test } from 'vitest';

import { decideThread } from './thread-rules.js';
import { statusAfterInbound } from './ticket-status.js';
import { replySubject, ticketTokens } from './ticket-token.js';

const none = {
  bounceOriginal: null,
  inReplyTo: null,
  references: null,
  providerThread: null,
  subjectToken: null,
};

describe('thread rules', () => {
  test('applies the rules in order and names the one that matched', () => {
    expect(
      decideThread({ ...none, inReplyTo: 't1', references: 't2', providerThread: 't3' }),
    ).toEqual({ ticketId: 't1', rule: 'in_reply_to' });
    expect(decideThread({ ...none, references: 't2', providerThread: 't3' })).toEqual({
      ticketId: 't2',
      rule: 'references',
    });
    expect(
      decideThread({
        ...none,
        providerThread: 't3',
        subjectToken: { ticketId: 't4', senderIsParticipant: true },
      }),
    ).toEqual({ ticketId: 't3', rule: 'provider_thread' });
    expect(
      decideThread({ ...none, subjectToken: { ticketId: 't4', senderIsParticipant: true } }),
    ).toEqual({ ticketId: 't4', rule: 'subject_token' });
    expect(decideThread({ ...none, bounceOriginal: 't0', inReplyTo: 't1' })).toEqual({
      ticketId: 't0',
      rule: 'bounce_original',
    });
  });

  test('a subject token from a stranger opens a new ticket (thread-hijack protection)', () => {
    expect(
      decideThread({ ...none, subjectToken: { ticketId: 't4', senderIsParticipant: false } }),
    ).toEqual({ ticketId: null, rule: 'new_ticket' });
  });

  test('a sender that failed DMARC threads only by our signed Message-IDs; else a new ticket naming the one it claimed', () => {
    const signedNone = { bounceOriginal: null, inReplyTo: null, references: null };
    const participantToken = { ticketId: 't4', senderIsParticipant: true };
    // Provider thread and subject token (even "from" a participant) are what a forger controls.
    expect(decideThread({ ...none, providerThread: 't3', unverified: signedNone })).toEqual({
      ticketId: null,
      rule: 'new_ticket',
      withheldFrom: 't3',
    });
    expect(
      decideThread({ ...none, subjectToken: participantToken, unverified: signedNone }),
    ).toEqual({ ticketId: null, rule: 'new_ticket', withheldFrom: 't4' });
    // A customer's Message-ID is known to everyone on the thread: not enough either.
    expect(decideThread({ ...none, inReplyTo: 't1', unverified: signedNone })).toEqual({
      ticketId: null,
      rule: 'new_ticket',
      withheldFrom: 't1',
    });
    // Answering one of our replies (its HMAC-signed Message-ID) still joins that ticket.
    expect(
      decideThread({
        ...none,
        inReplyTo: 't1',
        references: 't2',
        subjectToken: participantToken,
        unverified: { ...signedNone, references: 't2' },
      }),
    ).toEqual({ ticketId: 't2', rule: 'references' });
    // Nothing to join: a plain new ticket, nothing withheld.
    expect(
      decideThread({
        ...none,
        subjectToken: { ticketId: 't4', senderIsParticipant: false },
        unverified: signedNone,
      }),
    ).toEqual({ ticketId: null, rule: 'new_ticket' });
  });
});

describe('ticket tokens and status', () => {
  test('tokens are found anywhere in the subject, once each', () => {
    expect(ticketTokens('Re: Printer on fire [#1042] [#7] again [#1042]')).toEqual([1042, 7]);
    expect(ticketTokens('Invoice #1042')).toEqual([]);
  });

  test('reply subjects get one Re: and one token', () => {
    expect(replySubject('Printer on fire', 1042)).toBe('Re: Printer on fire [#1042]');
    expect(replySubject('RE: Aw: Printer on fire [#1042]', 1042)).toBe(
      'Re: Printer on fire [#1042]',
    );
    expect(replySubject('Re: Printer on fire', 1042, { token: false })).toBe('Re: Printer on fire');
  });

  test('only a human message reopens a solved or closed ticket', () => {
    expect(statusAfterInbound('closed', 'auto_reply')).toBe('closed');
    expect(statusAfterInbound('solved', 'bounce')).toBe('solved');
    expect(statusAfterInbound('solved', 'loop')).toBe('solved');
    expect(statusAfterInbound('closed', 'human')).toBe('open');
    expect(statusAfterInbound('pending', 'human')).toBe('open');
  });
});
