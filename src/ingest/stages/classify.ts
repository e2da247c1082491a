// Decides whether a parsed message is a person writing, an automatic reply, a bounce/DSN, or a copy
// of mail Inlet itself sent. Order: own_echo > bounce > auto_reply > human. Anything not 'human'
// must never trigger automatic mail (RFC 3834; docs/security-controls.md#no-automatic-mail).
//
// Decision on Precedence: list — mailing-list software (Google Groups, Mailman) stamps it, together
// with List-Id, on every post, including posts a person wrote to a support list. Those stay 'human'
// (reason 'list_traffic', which suppressesAutoResponse() honours) so no customer message is lost.
// Precedence: list WITHOUT a list header is not a real list — it is a bulk sender — and counts as
// auto_reply. Loop guards (X-Loop and the helpdesks' own) keep a message 'human' with reason
// 'loop_header', also honoured by suppressesAutoResponse() (classify-machine.ts says why).
import type { Classification, ClassifyContext, ParsedMessage } from '../types.js';
import { isJmrp, originalMessageId, parseBounce } from './bounce.js';
import {
  isChallengeNotice,
  listNotice,
  rejectedListAddress,
  sesNotificationType,
} from './bounce-notices.js';
import {
  listHeaders,
  loopReasons,
  machineSenderReasons,
  precedences,
  programReasons,
  UNANSWERED_HUMAN,
  unansweredReasons,
} from './classify-machine.js';
import {
  AWAY_TEXT,
  awaySubjectForm,
  BOUNCE_SUBJECT,
  BOUNCE_TEXT,
  DAEMON_LOCAL,
  DAEMON_NAME,
  OOO_SUBJECT,
} from './classify-words.js';
import { htmlToText } from './html-to-text.js';

const ABUSE_SENDER =
  /^(?:abuse|spam|complaints?|fbl|feedback(?:-loop)?|scomp|report-?spam|postmaster)$/i;
const ABUSE_SUBJECT =
  /\b(?:abuse report|spam (?:report|complaint)|complaint about|feedback loop|fbl report|email feedback report|unsolicited (?:mail|email|message))\b/i;

// "Re:", "Fwd:" and their forms in other languages: a person answering or forwarding.
const REPLY_PREFIX =
  /^\s*(?:re|fw|fwd|aw|wg|sv|vs|antw|odp|pd|tr|rif|r|res|enc|doorst|vl)\s*(?:\[\d+\])?\s*:/i;
// A delivery report proper; with a mailer-daemon sender, the signals that outweigh anything else.
const REPORT =
  /^(?:multipart_report|delivery_status_part|x_failed_recipients|exchange_ndr|ses_notification)/;
// Headers and subjects only an auto-responder (vacation, out of office) writes.
const AUTO_RESPONDER =
  /^(?:x_autoreply|x_autorespond|x_autoresponder|x_autoresponse|responder_mailer|x_autoreply_from|x_mail_autoreply|x_vacation|out_of_office_subject|precedence:auto_reply|auto_submitted:auto-replied)$/;
// IBM Notes writes "AUTO: <name> is out of the office (returning …)". "Auto" is also the word for a
// car in several languages ("Auto: car for sale"), so the prefix alone counts only over an empty
// subject, or with the writer's own away words in the body.
const AUTO_PREFIX = /^\s*auto\s*:\s*/i;

const first = (msg: ParsedMessage, key: string): string | undefined =>
  msg.headers.get(key)?.[0]?.trim();
const has = (msg: ParsedMessage, key: string): boolean => (msg.headers.get(key)?.length ?? 0) > 0;
// The first '@': a malformed "Postmaster\\@host@host" is still the postmaster.
const localPart = (address: string): string => {
  const at = address.replace(/\\/g, '').indexOf('@');
  return at > 0 ? address.replace(/\\/g, '').slice(0, at) : address;
};
// The null sender written into From: RFC 5321's "<>" as some MTAs copy it, Courier's "<@>", a
// lone "@". No person writes from it; only mail machinery does (RFC 3834 2). A From with a bare
// name and no address at all ('') is a broken client, not this.
const isNullSender = (address: string): boolean => /^(?:<@?>|@)$/.test(address.trim());
// "From: <>" has no address for the library to return: normalise.ts flags it instead.
const fromNullSender = (msg: ParsedMessage): boolean =>
  msg.warnings.includes('from_null_sender') ||
  [msg.from, msg.sender].some((a) => a !== null && isNullSender(a.address));

function reportType(msg: ParsedMessage): string | null {
  const ct = first(msg, 'content-type') ?? '';
  return /report-type\s*=\s*"?([\w-]+)/i.exec(ct)?.[1]?.toLowerCase() ?? null;
}

function ownEchoReasons(msg: ParsedMessage, ctx: ClassifyContext): string[] {
  const reasons: string[] = [];
  if (msg.messageId && ctx.isOwnMessageId(msg.messageId)) reasons.push('own_message_id');
  const own = new Set(ctx.ownAddresses.map((a) => a.trim().toLowerCase()));
  const inletHeader = [...msg.headers.keys()].some((k) => k.startsWith('x-inlet-'));
  const fromOwn = [msg.from, msg.sender].some(
    (a) => a !== null && own.has(a.address.toLowerCase()),
  );
  if (inletHeader && fromOwn) reasons.push('inlet_header_own_address');
  return reasons;
}

function bounceReasons(msg: ParsedMessage): string[] {
  const strong: string[] = [];
  const weak: string[] = [];
  const rt = reportType(msg);
  if (msg.isMultipartReport && rt === 'delivery-status')
    strong.push('multipart_report:delivery-status');
  else if (msg.reportParts.deliveryStatus !== null) strong.push('delivery_status_part');
  if (has(msg, 'x-failed-recipients')) strong.push('x_failed_recipients');
  if (/^(true|yes)$/i.test(first(msg, 'x-ms-exchange-message-is-ndr') ?? ''))
    strong.push('exchange_ndr');
  const senders = [msg.from, msg.sender].filter((a) => a !== null);
  const daemonLocal =
    fromNullSender(msg) || senders.some((a) => DAEMON_LOCAL.test(localPart(a.address)));
  if (
    senders.some(
      (a) =>
        /^(mailer-daemon|mail-daemon|mailerdaemon)$/i.test(localPart(a.address)) ||
        /^mailer-daemon$/i.test(a.address),
    )
  ) {
    strong.push('mailer_daemon_sender');
  } else if (daemonLocal || senders.some((a) => DAEMON_NAME.test(a.name)))
    weak.push('daemon_like_sender');
  const returnPath = msg.headers.get('return-path') ?? [];
  if (returnPath.some((v) => /^<?\s*>?$/.test(v.trim()))) weak.push('null_return_path');
  // A person answering or forwarding a bounce ("Fwd: Undeliverable: …") is a person asking about
  // it: the subject counts after a reply or forward prefix only from a daemon-like sender.
  const daemonish = strong.includes('mailer_daemon_sender') || weak.includes('daemon_like_sender');
  if (BOUNCE_SUBJECT.test(msg.subject) && (daemonish || !REPLY_PREFIX.test(msg.subject)))
    weak.push('bounce_subject');
  const body = msg.text?.slice(0, 64 * 1024) ?? '';
  // Only the writer's own lines: a reply quoting a bounce ("> user unknown") is no bounce.
  if (BOUNCE_TEXT.test(body.replace(/^[ \t]*>.*$/gm, ''))) weak.push('bounce_text');
  if (msg.reportParts.originalHeaders !== null) weak.push('returned_message');
  // Amazon SES forwards bounces as SNS JSON notifications (complaints are read as abuse reports).
  if (sesNotificationType(body) === 'Bounce') strong.push('ses_notification');
  if (strong.length > 0) return [...strong, ...weak];
  return weak.length >= 2 ? weak : [];
}

/**
 * An out-of-office subject in the form responders write it (awaySubjectForm), or Notes' "AUTO:"
 * over nothing. A person writes the same words in a sentence ("How do I set up an out of office?",
 * "Auto-reply not working"): such a mention, or "AUTO:" over other words (AUTO_PREFIX), counts only
 * with the writer's own away words in the body, or a mention after "AUTO:" (Notes' "AUTO: Dana is
 * out of the office").
 */
function awaySubject(msg: ParsedMessage): boolean {
  const subject = msg.subject;
  if (awaySubjectForm(subject)) return true;
  const auto = AUTO_PREFIX.test(subject);
  if (auto && subject.replace(AUTO_PREFIX, '') === '') return true;
  const mention = OOO_SUBJECT.test(subject);
  if (auto && mention) return true;
  if (!auto && !mention) return false;
  const own = (msg.text ?? '').slice(0, 4096).replace(/^[ \t]*>.*$/gm, '');
  return AWAY_TEXT.test(own);
}

function autoReplyReasons(msg: ParsedMessage): string[] {
  const reasons: string[] = [];
  const autoSubmitted = (first(msg, 'auto-submitted') ?? first(msg, 'x-autosubmitted'))
    ?.split(';')[0]
    ?.trim()
    .toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') reasons.push(`auto_submitted:${autoSubmitted}`);
  for (const key of [
    'x-autoreply',
    'x-autorespond',
    'x-autoresponder',
    'x-autoresponse',
    'x-autogenerated',
    'x-autoreply-from',
    'x-mail-autoreply',
    'x-vacation',
  ]) {
    const v = first(msg, key);
    if (v !== undefined && !/^(no|none|false)?$/i.test(v)) reasons.push(key.replace(/-/g, '_'));
  }
  const precedence = precedences(msg);
  for (const p of ['bulk', 'junk', 'auto_reply'])
    if (precedence.includes(p)) reasons.push(`precedence:${p}`);
  if (precedence.includes('list') && listHeaders(msg).length === 0) reasons.push('precedence:list');
  const rt = reportType(msg);
  const body = msg.text?.slice(0, 64 * 1024) ?? '';
  const ses = sesNotificationType(body);
  if (rt === 'feedback-report' || has(msg, 'feedback-type') || isJmrp(msg))
    reasons.push('feedback_report');
  else if (ses === 'Complaint') reasons.push('ses_complaint');
  // SES telling the sender a message WAS delivered: nobody wrote it, nothing to answer.
  else if (ses === 'Delivery') reasons.push('ses_delivery');
  // Abuse desks and feedback loops that send the complaint as a plain message with the offending
  // mail attached (no ARF report part): a machine's report about our mail, not a person writing.
  else if (
    msg.attachments.some(
      (a) => a.declaredType === 'message/rfc822' || a.declaredType === 'text/rfc822-headers',
    ) &&
    (ABUSE_SENDER.test(localPart(msg.from?.address ?? '')) || ABUSE_SUBJECT.test(msg.subject))
  ) {
    reasons.push('abuse_complaint');
  }
  if (rt === 'disposition-notification') reasons.push('read_receipt');
  // Mailman marks every notice about list business (held posts, confirmations, reminders).
  if (/^yes$/i.test(first(msg, 'x-list-administrivia') ?? '')) reasons.push('list_notice');
  // "Re: automatic reply settings" is a person answering or asking about one, not the responder.
  if (!REPLY_PREFIX.test(msg.subject) && awaySubject(msg)) reasons.push('out_of_office_subject');
  reasons.push(...programReasons(msg));
  // Mail from the null sender that is not a bounce is still a machine's notice, never a person.
  if (fromNullSender(msg)) reasons.push('null_sender');
  // The weakest sign, named only when nothing above says what the machine sent.
  return reasons.length > 0 ? reasons : machineSenderReasons(msg);
}

export function classifyMessage(msg: ParsedMessage, ctx: ClassifyContext): Classification {
  // A JMRP complaint carries our own Message-ID: a complaint about our mail, not our mail echoed.
  const own = isJmrp(msg) ? [] : ownEchoReasons(msg, ctx);
  if (own.length > 0) return { kind: 'own_echo', reasons: own };
  const bounce = bounceReasons(msg);
  // Rendered once, and only when a rule needs it (an HTML-only mail is converted to read it).
  let rendered: string | undefined;
  const text = () =>
    (rendered ??= msg.text ?? msg.htmlText ?? (msg.html ? htmlToText(msg.html) : ''));
  // A challenge-response notice (it looks like a bounce, it holds the mail until the sender
  // confirms) is machine mail, but nothing failed. Only a delivery report proper (a DSN part,
  // X-Failed-Recipients, an Exchange NDR) outweighs its wording.
  const report = bounce.some((r) => REPORT.test(r));
  // A report whose every recipient is only 'delayed' and whose words ask the sender to verify is
  // a challenge system holding the mail (some send their hold notice as a DSN).
  const delaysOnly = () => {
    const rs = report ? parseBounce(msg).recipients : [];
    return rs.length > 0 && rs.every((r) => r.action === 'delayed');
  };
  if (bounce.length > 0 && (!report || delaysOnly()) && isChallengeNotice(msg.subject, text()))
    return { kind: 'auto_reply', reasons: ['challenge_response', ...bounce] };
  // A list refusing a post is a failed delivery to the list (it is a recipient like any other; as
  // sisimai reads it, 'rejected'); a post held for a moderator has not failed: machine mail only.
  const list = report
    ? null
    : listNotice(msg.from?.address ?? '', msg.headers.keys(), msg.subject, text());
  if (list === 'held') return { kind: 'auto_reply', reasons: ['list_notice', ...bounce] };
  if (list === 'rejected') {
    const parties = new Set(
      [msg.from, msg.sender, ...msg.to].flatMap((a) => (a ? [a.address.toLowerCase()] : [])),
    );
    const recipients = rejectedListAddress(
      text(),
      first(msg, 'list-post'),
      first(msg, 'list-id'),
      parties,
    );
    return {
      kind: 'bounce',
      reasons: ['list_rejection', ...bounce],
      bounce: { originalMessageId: originalMessageId(msg), recipients },
    };
  }
  const auto = autoReplyReasons(msg);
  const away = autoResponderTie(msg, bounce, auto, report, text);
  if (away) return { kind: 'auto_reply', reasons: away };
  if (bounce.length > 0) return { kind: 'bounce', reasons: bounce, bounce: parseBounce(msg) };
  if (auto.length > 0) return { kind: 'auto_reply', reasons: auto };
  const reasons = [
    ...(listHeaders(msg).length > 0 || precedences(msg).includes('list') ? ['list_traffic'] : []),
    ...loopReasons(msg),
    ...unansweredReasons(msg),
  ];
  return { kind: 'human', reasons };
}

/**
 * A vacation or out-of-office reply that mentions delivery ("your mail could not be delivered to
 * me", sent with an empty Return-Path, or by an old mail service as MAILER-DAEMON) is an auto-reply:
 * only a report proper, or a daemon's bounce subject, outweighs an auto-responder's own headers.
 * Without such headers, the writer's own words saying they are away decide the same tie (a person's
 * "I will be out next week" never gets here: it has no bounce signals). Returns the reasons, or null.
 */
function autoResponderTie(
  msg: ParsedMessage,
  bounce: string[],
  auto: string[],
  report: boolean,
  text: () => string,
): string[] | null {
  if (bounce.length === 0 || report) return null;
  const daemon = bounce.includes('mailer_daemon_sender');
  if ((daemon || bounce.includes('daemon_like_sender')) && bounce.includes('bounce_subject'))
    return null;
  // MTAs stamp their own bounces 'Auto-Submitted: auto-replied' too: from a mailer-daemon only an
  // auto-responder's own header or subject counts.
  const evidence = auto.filter(
    (r) => AUTO_RESPONDER.test(r) && !(daemon && r.startsWith('auto_submitted')),
  );
  if (evidence.length > 0) return auto;
  const own = text()
    .slice(0, 4096)
    .replace(/^[ \t]*>.*$/gm, '');
  return !daemon && AWAY_TEXT.test(own) ? ['away_text', ...auto] : null;
}

/** True when Inlet must not send an automatic reply (acknowledgement) to this message. */
export function suppressesAutoResponse(c: Classification): boolean {
  return c.kind !== 'human' || c.reasons.some((r) => UNANSWERED_HUMAN.has(r));
}
