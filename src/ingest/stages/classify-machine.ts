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
// - Accounts of the mail system and of daemons, which no person logs in to write from: BSD
//   vacation(1) never answers mailer, mailer-daemon, uucp, *-relay or *-request; web servers and
//   cron send as nobody, www, www-data; VERP return addresses are bounce(s)[+-…]@. 'system_sender'.
// - Role mailboxes people do read (RFC 2142 postmaster, webmaster; administrator, root, support,
//   news, newsletter): a person may write from one, so the mail stays 'human', but an automatic
//   answer to another desk's support@ is how two helpdesks loop, and vacation(1) skips postmaster
//   too. 'role_sender'.
// - An upstream filter's spam verdict (SpamAssassin's X-Spam-Flag/X-Spam-Status "Yes", Barracuda,
//   DSPAM): the sender is likely forged, and an acknowledgement would be backscatter (the relay-
//   spam defence, security.md 41). A filter errs, so the mail stays 'human'. 'spam_flagged'.
// - X-Auto-Response-Suppress (MS-OXCMAIL 2.1.3.2.20) is the sender's request that no automatic
//   reply of the kinds it names come back; it does not say a machine wrote the mail (sisimai and
//   Discourse read it so too). An acknowledgement is an auto-reply other than an out-of-office
//   notice, which 'All' and 'AutoReply' forbid; 'OOF', 'DR', 'NDR', 'RN' and 'NRN' forbid other
//   kinds. 'auto_response_suppressed', the mail 'human'.
// - Mail an Exchange server agent generated (X-MS-Exchange-Generated-Message-Source, e.g. an inbox
//   rule's forward) or an inbox rule passed on (X-MS-Exchange-Inbox-Rules-Loop, Exchange's own loop
//   guard): a person's words may be inside, no person sent it now. 'server_generated', 'loop_header'.
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
  // SmartList and older list managers.
  'x-mailing-list',
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
    ['x-otrs-loop', 'x-otobo-loop', 'x-ms-exchange-inbox-rules-loop'].some((k) =>
      all(msg, k).some((v) => !NEGATIVE.test(v)),
    );
  return stamped ? ['loop_header'] : [];
}

const localPart = (address: string): string => address.slice(0, address.lastIndexOf('@'));
// noreply, no-reply, no_reply, do-not-reply, donotreply, with a tag or a suffix after a separator.
const NO_REPLY = /^(?:no|do[-_.]?not)[-_.]?reply(?:$|[-_.+])/i;

// A list address with its list name left out ("-request@") is still list software's, never a person's.
const SYSTEM_LOCAL =
  /^(?:mailer|mailer[-_]?daemon|mail-daemon|mdaemon|uucp|nobody|www|www-data|[^@]*-relay|[^@]*-errors|bounces?(?:[-_.+][^@]*)?|-(?:request|owner|admin|bounces?|confirm|ctl))$/i;
const ROLE_LOCAL =
  /^(?:postmaster|webmaster|hostmaster|administrator|root|support|news|newsletter)$/i;

/** Senders nobody reads: 'no_reply_sender', 'list_software_sender', 'system_sender'. */
export function machineSenderReasons(msg: ParsedMessage): string[] {
  const from = msg.from?.address.toLowerCase() ?? '';
  if (!from.includes('@')) return [];
  const reasons: string[] = [];
  if (LIST_MACHINE.test(from)) reasons.push('list_software_sender');
  else if (SYSTEM_LOCAL.test(localPart(from))) reasons.push('system_sender');
  // An answer goes to Reply-To when there is one: a form that sends as no-reply on a customer's
  // behalf names the customer there, and that customer is owed the answer.
  const answerTo = msg.replyTo.filter((a) => a.address.toLowerCase() !== from);
  if (NO_REPLY.test(localPart(from)) && answerTo.every((a) => NO_REPLY.test(localPart(a.address))))
    reasons.push('no_reply_sender');
  return reasons;
}

// Headers only a program's own mail carries: cron's report of a job's output, FirstClass's mark on
// what its server generated, and the notification systems of Facebook and eBay.
const PROGRAM_HEADERS: [string, string][] = [
  ['x-cron-env', 'cron_output'],
  ['x-fc-machinegenerated', 'machine_generated'],
  ['x-facebook-notify', 'notification_header'],
  ['x-ebay-mailtracker', 'notification_header'],
];

// A vacation program or auto-responder naming itself in X-Mailer ("vacation 1.2.7", "Autoresponder").
const RESPONDER_MAILER = /\b(?:vacation|auto-?respon(?:se|der)|auto-?reply)\b/i;

/** Headers of programs that write mail by themselves (classify.ts makes them 'auto_reply'). */
export const programReasons = (msg: ParsedMessage): string[] => [
  ...new Set(
    PROGRAM_HEADERS.filter(([k]) => all(msg, k).some((v) => !NEGATIVE.test(v))).map(([, r]) => r),
  ),
  ...(all(msg, 'x-mailer').some((v) => RESPONDER_MAILER.test(v)) ? ['responder_mailer'] : []),
];

const SPAM_VERDICTS: [string, RegExp][] = [
  ['x-spam-flag', /^yes\b/i],
  ['x-spam-flag2', /^yes\b/i],
  ['x-spam-status', /^yes\b/i],
  ['x-barracuda-spam-status', /^yes\b/i],
  ['x-dspam-result', /^(?:spam|bl[ao]cklisted)\b/i],
];

/** Signs that keep a message 'human' but without an automatic answer (see the head comment). */
export function unansweredReasons(msg: ParsedMessage): string[] {
  const reasons: string[] = [];
  const from = msg.from?.address.toLowerCase() ?? '';
  if (from.includes('@') && ROLE_LOCAL.test(localPart(from))) reasons.push('role_sender');
  if (SPAM_VERDICTS.some(([k, yes]) => all(msg, k).some((v) => yes.test(v))))
    reasons.push('spam_flagged');
  if (all(msg, 'x-auto-response-suppress').some((v) => /\b(?:all|autoreply)\b/i.test(v)))
    reasons.push('auto_response_suppressed');
  if (all(msg, 'x-ms-exchange-generated-message-source').some((v) => v !== ''))
    reasons.push('server_generated');
  return reasons;
}

/** Reasons a 'human' message carries that still forbid an automatic answer. */
export const UNANSWERED_HUMAN = new Set([
  'list_traffic',
  'loop_header',
  'role_sender',
  'spam_flagged',
  'auto_response_suppressed',
  'server_generated',
]);
