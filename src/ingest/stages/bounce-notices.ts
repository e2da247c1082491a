// Machine notices that look like bounces but are read differently: Amazon SES event notifications
// (JSON, forwarded through SNS, naming the bounced recipients exactly) and challenge-response
// systems (Boxbe, Spam Arrest, TMDA and the like) that hold a message until the sender proves to be
// a person. The latter did not fail: the mail waits for a click, so it is no bounce.
import type { BounceRecipient } from '../types.js';
import { reportRegion } from './bounce-text.js';

const MAX_RECIPIENTS = 100;

/** "Bounce" or "Complaint" when the text is an SES notification (also when SNS escaped it). */
export function sesNotificationType(text: string): 'Bounce' | 'Complaint' | null {
  const m = /\\?"notificationType\\?"\s*:\s*\\?"(Bounce|Complaint)\\?"/.exec(
    text.slice(0, 64 * 1024),
  );
  return (m?.[1] as 'Bounce' | 'Complaint' | undefined) ?? null;
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
