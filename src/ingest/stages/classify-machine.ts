// Header and sender signs that mail came from automation which must not be answered automatically,
// though a person may have written it (classify.ts decides the kind):
// - Loop guards (`X-Loop`, Request Tracker's `X-RT-Loop-Prevention`, OTRS's `X-OTRS-Loop` and
//   OTOBO's `X-OTOBO-Loop`): relays, procmail forwards and helpdesks stamp them on mail they send or
//   pass on, so that the next automat stops; no mail client writes them. The mail may carry a
//   person's words (an agent answering through RT), so it stays 'human' and only the automatic
//   answer is suppressed: an acknowledgement back to another helpdesk is how two of them loop.
// - A mailing list's headers: RFC 2919 List-Id, RFC 2369 List-Help/-Subscribe/-Unsubscribe/-Post/
//   -Owner/-Archive, and ezmlm's Mailing-List. RFC 5230 (Sieve vacation) 4.6 says not to answer
//   any of them; a newsletter that sets only List-Unsubscribe is as much bulk mail as one that
//   sets List-Id. A person's post to a support list is still theirs: 'human', no automatic answer.
// - Senders nobody reads: a no-reply address (unless Reply-To names someone to answer: a web form
//   relays the customer that way) and the addresses of list software itself (owner-*, *-request,
//   *-bounces, *-confirm, listserv, majordomo, mailman …; RFC 5230 4.6 names the first ones).
import type { ParsedMessage } from '../types.js';
import { LIST_MACHINE } from './bounce-notices.js';

const all = (msg: ParsedMessage, key: string): string[] =>
  (msg.headers.get(key) ?? []).map((v) => v.trim());

const LIST_HEADERS = [
  'list-id',
  'list-help',
  'list-subscribe',
  'list-unsubscribe',
  'list-post',
  'list-owner',
  'list-archive',
  'mailing-list',
];

/** The mailing-list headers the message carries (names), empty for mail not sent through a list. */
export const listHeaders = (msg: ParsedMessage): string[] =>
  LIST_HEADERS.filter((k) => all(msg, k).some((v) => v !== ''));

/**
 * Every Precedence (and X-Precedence) value, lower-cased and without a comment: a message may
 * carry several (Request Tracker's own test mail has "never-bounce" above "bulk"), and any one
 * saying bulk, junk or list is the sender's word that nobody should answer.
 */
export const precedences = (msg: ParsedMessage): string[] =>
  [...all(msg, 'precedence'), ...all(msg, 'x-precedence')]
    .map((v) => v.split(/[\s;(]/)[0]!.toLowerCase())
    .filter(Boolean);

const NEGATIVE = /^(?:no|none|false|0)?$/i;

/** 'loop_header' when a relay or helpdesk stamped the mail against loops, else nothing. */
export function loopReasons(msg: ParsedMessage): string[] {
  const stamped =
    all(msg, 'x-loop').some((v) => v !== '') ||
    all(msg, 'x-rt-loop-prevention').some((v) => v !== '') ||
    ['x-otrs-loop', 'x-otobo-loop'].some((k) => all(msg, k).some((v) => !NEGATIVE.test(v)));
  return stamped ? ['loop_header'] : [];
}

const localPart = (address: string): string => address.slice(0, address.lastIndexOf('@'));
// noreply, no-reply, no_reply, do-not-reply, donotreply, with a tag or a suffix after a separator.
const NO_REPLY = /^(?:no|do[-_.]?not)[-_.]?reply(?:$|[-_.+])/i;

/** Senders nobody reads: 'no_reply_sender', 'list_software_sender'. */
export function machineSenderReasons(msg: ParsedMessage): string[] {
  const from = msg.from?.address.toLowerCase() ?? '';
  if (!from.includes('@')) return [];
  const reasons: string[] = [];
  if (LIST_MACHINE.test(from)) reasons.push('list_software_sender');
  // An answer goes to Reply-To when there is one: a form that sends as no-reply on a customer's
  // behalf names the customer there, and that customer is owed the answer.
  const answerTo = msg.replyTo.filter((a) => a.address.toLowerCase() !== from);
  if (NO_REPLY.test(localPart(from)) && answerTo.every((a) => NO_REPLY.test(localPart(a.address))))
    reasons.push('no_reply_sender');
  return reasons;
}
