// Machine notices that look like bounces but are read differently: Amazon SES event notifications
// (JSON, forwarded through SNS, naming the bounced recipients exactly) and challenge-response
// systems (Boxbe, Spam Arrest, TMDA and the like) that hold a message until the sender proves to be
// a person. The latter did not fail: the mail waits for a click, so it is no bounce.
import type { BounceRecipient } from '../types.js';
import { reportRegion } from './bounce-text.js';

const MAX_RECIPIENTS = 100;

export type SesNotification = 'Bounce' | 'Complaint' | 'Delivery';

const Q = '\\\\?"'; // a quote, escaped once when SNS wraps the notice in its own JSON
const SES_NOTIFICATION = new RegExp(
  `${Q}notificationType${Q}\\s*:\\s*${Q}(Bounce|Complaint|Delivery)${Q}`,
);
// Event publishing (a configuration set's SNS destination) names the type `eventType`, a word any
// JSON may use, so it counts only beside SES's object for that type ("bounce": {...} and so on).
const SES_EVENT = new RegExp(`${Q}eventType${Q}\\s*:\\s*${Q}(Bounce|Complaint|Delivery)${Q}`);

/** The kind of SES notification the text is (also when SNS escaped it), or null. A 'Delivery'
 *  notice says a message arrived: machine mail about our mail, like the other two. */
export function sesNotificationType(text: string): SesNotification | null {
  const head = text.slice(0, 64 * 1024);
  const m = SES_NOTIFICATION.exec(head);
  if (m) return m[1] as SesNotification;
  const e = SES_EVENT.exec(head);
  if (!e) return null;
  const type = e[1] as SesNotification;
  const body = new RegExp(`${Q}${type.toLowerCase()}${Q}\\s*:\\s*\\{`);
  return body.test(head) ? type : null;
}

interface SesRecipient {
  emailAddress?: unknown;
  action?: unknown;
  status?: unknown;
  diagnosticCode?: unknown;
}

/** Bounced recipients of an SES bounce notification; [] when the text is none or unreadable. */
export function sesRecipients(text: string): BounceRecipient[] {
  if (sesNotificationType(text) !== 'Bounce') return [];
  // SNS escapes the notification inside its own JSON, and some relays fold long lines with "!".
  const flat = text
    .slice(0, 256 * 1024)
    .replace(/!\r?\n /g, '')
    .replace(/\\"/g, '"');
  const list = /"bouncedRecipients"\s*:\s*(\[[^\]]*\])/.exec(flat)?.[1];
  const permanent = /"bounceType"\s*:\s*"Permanent"/.test(flat);
  if (!list) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(list);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const out: BounceRecipient[] = [];
  for (const r of parsed as SesRecipient[]) {
    if (typeof r?.emailAddress !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(r.emailAddress)) continue;
    const status =
      typeof r.status === 'string' && /^[245]\.\d{1,3}\.\d{1,3}$/.test(r.status) ? r.status : null;
    const action = typeof r.action === 'string' ? r.action.toLowerCase() : 'failed';
    const diagnostic =
      typeof r.diagnosticCode === 'string'
        ? r.diagnosticCode.replace(/^\s*smtp\s*;\s*/i, '').slice(0, 500) || null
        : null;
    out.push({
      address: r.emailAddress.toLowerCase(),
      action,
      status,
      hard: status ? status.startsWith('5') : permanent,
      diagnostic,
    });
    if (out.length >= MAX_RECIPIENTS) break;
  }
  return out;
}

const CHALLENGE = new RegExp(
  [
    'please (?:verify|confirm|validate) (?:that )?(?:you|your (?:e-?mail|message|address|identity))',
    "verify (?:that )?you(?: are|'re) (?:a )?(?:(?:real|live) )*(?:human|person|not a (?:robot|spammer))",
    '(?:join|add(?:ed)?(?: yourself| you| me)? to|placed on) (?:\\S+ )?(?:guest|waiting|white|approved senders?) ?list',
    'wait-?listed',
    'challenge[- ]response',
    'sender verification (?:request|required)',
    'your (?:message|e-?mail) (?:is being held|has been held|is waiting|is pending) (?:for|until|pending) (?:your )?(?:verification|confirmation|you)',
    'click (?:the|this) link (?:below )?to (?:verify|confirm|deliver)',
    '\\b(?:boxbe|spam ?arrest|mailblocks|choicemail|sendio|bluebottle|knowspam)\\b',
  ].join('|'),
  'i',
);

/** True for a challenge-response notice: the message is held until the sender confirms. */
export function isChallengeNotice(subject: string, text: string): boolean {
  // Only the notice's own words: a returned copy below it may say anything.
  return (
    CHALLENGE.test(subject) || CHALLENGE.test(reportRegion(text.slice(0, 16 * 1024)).join('\n'))
  );
}

/** The Message-ID of the mail an SES notification is about (its copied headers), or null. */
export function sesOriginalMessageId(text: string): string | null {
  if (sesNotificationType(text) === null) return null;
  const flat = text
    .slice(0, 256 * 1024)
    .replace(/!\r?\n /g, '')
    .replace(/\\"/g, '"');
  // SES's own mail.messageId has no '@'; the copied Message-ID header has.
  const id =
    /"name"\s*:\s*"message-id"\s*,\s*"value"\s*:\s*"([^"]+)"/i.exec(flat)?.[1] ??
    /"commonHeaders"\s*:\s*\{[^{}]*?"messageId"\s*:\s*"([^"]+)"/.exec(flat)?.[1];
  return id?.includes('@') ? id : null;
}

// A mailing list's own notices about a post: rejected (the sender is no member, or may not post)
// or held for a moderator. They come from the list's machinery, never from a person (Mailman 3
// asks for confirmations from list-confirm+token@).
export const LIST_MACHINE =
  /^(?:owner-[^@]+|[^@]+-(?:request|owner|admin|bounces?|confirm|ctl)(?:\+[^@]*)?|mailman|majordomo|listserv|listproc|sympa|ecartis|lyris|fml)@/i;
const LIST_SOFTWARE = [
  'x-list-administrivia',
  'x-mailman-version',
  'x-mlserver',
  'x-ml-server',
  'x-listserver',
  'x-sympa-to',
];
const LIST_REJECTED =
  /\b(?:(?:are|is) not (?:a )?(?:list )?(?:member|subscriber)|non-?members? (?:are not allowed|may not|cannot|can't)|only (?:list )?(?:members|subscribers) (?:may|can|are allowed to) (?:post|send)|not (?:allowed|permitted|authori[sz]ed) to (?:post|send)|(?:do|does) not have permission to post|(?:post(?:ing)?|message|submission) (?:to [^\n]{0,80}? )?(?:has been |was |is )?(?:rejected|refused|discarded)|request to mailing list [^\n]{0,80}? rejected)/i;
const LIST_HELD =
  /\b(?:awaits? (?:the )?(?:list )?moderator|held (?:for|until) (?:the )?(?:moderat|approv|review)|requires? (?:the )?(?:moderator'?s? )?approval|(?:is|has been) (?:being )?held for|pending (?:moderator|moderation|approval))/i;

/** 'rejected' or 'held' for a mailing list's notice about a post, else null. */
export function listNotice(
  from: string,
  headerNames: Iterable<string>,
  subject: string,
  text: string,
): 'rejected' | 'held' | null {
  const names = new Set(headerNames);
  if (!LIST_MACHINE.test(from) && !LIST_SOFTWARE.some((h) => names.has(h))) return null;
  const own = `${subject}\n${reportRegion(text.slice(0, 16 * 1024)).join('\n')}`;
  if (LIST_HELD.test(own)) return 'held';
  if (LIST_REJECTED.test(own)) return 'rejected';
  return null;
}

/**
 * The list a rejection notice names: the address in the sentence that rejects the post, else the
 * list's posting address from the notice's List-Post or List-Id.
 */
export function rejectedListAddress(
  text: string,
  listPost: string | undefined,
  listId: string | undefined,
  parties: Set<string>,
): BounceRecipient[] {
  const paragraphs = reportRegion(text.slice(0, 16 * 1024))
    .join('\n')
    .split(/\n[ \t]*\n/);
  const para = paragraphs.find((p) => LIST_REJECTED.test(p)) ?? '';
  // Starts only where a run of address characters starts (inside a long run it is quadratic).
  const named = [
    ...para.matchAll(/(?<![^\s<>()"',;:@])[^\s<>()"',;:@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g),
  ]
    .map((m) => m[0].toLowerCase())
    .find((a) => !parties.has(a) && !LIST_MACHINE.test(a));
  const posting = /mailto:([^\s>?]+@[^\s>?]+)/i.exec(listPost ?? '')?.[1]?.toLowerCase();
  const id = /<([^.<>@\s]+)\.([^<>@\s]+\.[^<>@\s]+)>/.exec(listId ?? '');
  const address = named ?? posting ?? (id ? `${id[1]}@${id[2]}`.toLowerCase() : null);
  if (!address) return [];
  const diagnostic = (LIST_REJECTED.exec(para)?.[0] ? para : '').replace(/\s+/g, ' ').trim();
  return [
    {
      address,
      action: 'failed',
      status: null,
      hard: true,
      diagnostic: diagnostic.slice(0, 500) || null,
    },
  ];
}
