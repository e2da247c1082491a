// Decides whether a parsed message is a person writing, an automatic reply, a bounce/DSN, or a copy
// of mail Inlet itself sent. Order: own_echo > bounce > auto_reply > human. Anything not 'human'
// must never trigger automatic mail (RFC 3834; docs/security-controls.md#no-automatic-mail).
//
// Decision on Precedence: list — mailing-list software (Google Groups, Mailman) stamps it, together
// with List-Id, on every post, including posts a person wrote to a support list. Those stay 'human'
// (reason 'list_traffic', which suppressesAutoResponse() honours) so no customer message is lost.
// Precedence: list WITHOUT a List-Id is not a real list — it is a bulk sender — and counts as auto_reply.
import type { Classification, ClassifyContext, ParsedMessage } from '../types.js';
import { parseBounce } from './bounce.js';
import { isChallengeNotice, sesNotificationType } from './bounce-notices.js';
import { htmlToText } from './html-to-text.js';

const DAEMON_LOCAL =
  /^(mailer-daemon|mail-daemon|mailerdaemon|postmaster|post_master|mmdf|mail\.delivery\.system|mdaemon|mailer)$/i;
const DAEMON_NAME =
  /\b(mail delivery (subsystem|system|service)|mailer[- ]daemon|postmaster|delivery status notification|microsoft outlook|mail administrator|internet mail delivery|system administrator|automated mail delivery)\b/i;
const BOUNCE_SUBJECT = new RegExp(
  [
    'undeliver',
    'undelivered',
    'returned mail',
    'return(ed)? to sender',
    'delivery (status )?notification',
    'delivery fail',
    'delivery failure',
    'delivery problem',
    'failure notice',
    'mail delivery (failed|failure|system|subsystem)',
    'non[- ]?delivery',
    'could not be delivered',
    'delivery has failed',
    'message not delivered',
    'not delivered',
    'mail system error',
    'warning: could not send',
    'delayed mail',
    'failed mail',
    'delivery (delayed|report|error|warning)',
    'mail delivery warning',
    'mail could not be delivered',
    'rejected:',
    'unzustellbar',
    'nicht zustellbar',
    'fehlgeschlagen',
    'non remis',
    'non recapitabile',
    'no se puede entregar',
    'onbestelbaar',
    'niedostarczalna',
    'returned to sender',
    'bounce',
    'mail error',
    'mail failure',
    'permanent error',
    'undeliverable',
    'unable to deliver',
    'delivery report',
    'message delivery',
    'sending failed',
    'send failed',
    'error sending your mail',
    'メールエラー',
    'エラー通知',
    '配信できません',
    '送信できません',
    '不達',
    '未送達',
    '退信',
    '无法投递',
    '無法投遞',
  ].join('|'),
  'i',
);
// Phrases MTAs put in plain-text bounces; only ever a weak signal (a person may quote a bounce).
const BOUNCE_TEXT = new RegExp(
  [
    'user unknown',
    'unknown user',
    'no such user',
    'invalid (user|recipient|mailbox) address',
    'mailbox (unavailable|full|not found)',
    'recipient address rejected',
    'could not be delivered',
    'delivery to the following recipients? (failed|was unsuccessful)',
    'undeliverable',
    'permanent(ly)? fail',
    'the original message was received at',
    'this is the mail system at host',
    "i'm sorry to have to inform you",
    'unable to deliver',
    'delivery has failed',
    'address rejected',
    'host unknown',
    'trouble delivering your message',
    'message was not delivered',
    'has not yet been delivered',
    'delivery of (e-?mail|your message) to',
    'will (continue|keep) (to )?(try|trying|attempt)',
    'has been postponed',
    '送信できませんでした',
    '配信できませんでした',
    '\\b[45]\\d\\d[ -][245]\\.\\d{1,3}\\.\\d{1,3}\\b',
  ].join('|'),
  'i',
);
const OOO_SUBJECT = new RegExp(
  [
    'out of (the )?office',
    'automatic reply',
    'auto[- ]?reply',
    'auto[- ]?response',
    'autoresponder',
    'automated response',
    'away from (the )?office',
    'on vacation',
    'vacation (reply|response|notice)',
    'abwesenheitsnotiz',
    'automatische antwort',
    'abwesenheit',
    'nicht im büro',
    'außer haus',
    'réponse automatique',
    'absence du bureau',
    'absent du bureau',
    "message d'absence",
    'respuesta automática',
    'fuera de (la )?oficina',
    'risposta automatica',
    'fuori ufficio',
    'automatisch antwoord',
    'afwezig',
    'niet op kantoor',
    'resposta automática',
    'fora do escritório',
    'automatiskt svar',
    'frånvaro',
    'automatisk svar',
    'fraværende',
    'automatyczna odpowiedź',
    'nieobecność',
    'автоматический ответ',
    'автоответ',
    'нет на месте',
    '自動応答',
    '自动回复',
    '自動回覆',
    '不在',
    'automaattinen vastaus',
    'poissa toimistolta',
  ].join('|'),
  'i',
);

const ABUSE_SENDER =
  /^(?:abuse|spam|complaints?|fbl|feedback(?:-loop)?|scomp|report-?spam|postmaster)$/i;
const ABUSE_SUBJECT =
  /\b(?:abuse report|spam (?:report|complaint)|complaint about|feedback loop|fbl report|email feedback report|unsolicited (?:mail|email|message))\b/i;

const first = (msg: ParsedMessage, key: string): string | undefined =>
  msg.headers.get(key)?.[0]?.trim();
const has = (msg: ParsedMessage, key: string): boolean => (msg.headers.get(key)?.length ?? 0) > 0;
// The first '@': a malformed "Postmaster\\@host@host" is still the postmaster.
const localPart = (address: string): string => {
  const at = address.replace(/\\/g, '').indexOf('@');
  return at > 0 ? address.replace(/\\/g, '').slice(0, at) : address;
};

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
  const daemonLocal = senders.some((a) => DAEMON_LOCAL.test(localPart(a.address)));
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
  if (BOUNCE_SUBJECT.test(msg.subject)) weak.push('bounce_subject');
  const body = msg.text?.slice(0, 64 * 1024) ?? '';
  if (BOUNCE_TEXT.test(body)) weak.push('bounce_text');
  if (msg.reportParts.originalHeaders !== null) weak.push('returned_message');
  // Amazon SES forwards bounces as SNS JSON notifications (complaints are read as abuse reports).
  if (sesNotificationType(body) === 'Bounce') strong.push('ses_notification');
  if (strong.length > 0) return [...strong, ...weak];
  return weak.length >= 2 ? weak : [];
}

function autoReplyReasons(msg: ParsedMessage): string[] {
  const reasons: string[] = [];
  const autoSubmitted = first(msg, 'auto-submitted')?.split(';')[0]?.trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') reasons.push(`auto_submitted:${autoSubmitted}`);
  for (const key of [
    'x-autoreply',
    'x-autorespond',
    'x-autogenerated',
    'x-autoreply-from',
    'x-mail-autoreply',
    'x-auto-response-suppress',
  ]) {
    const v = first(msg, key);
    if (v !== undefined && !/^(no|none|false)?$/i.test(v)) reasons.push(key.replace(/-/g, '_'));
  }
  const precedence = (first(msg, 'precedence') ?? first(msg, 'x-precedence'))?.toLowerCase();
  if (precedence === 'bulk' || precedence === 'junk' || precedence === 'auto_reply')
    reasons.push(`precedence:${precedence}`);
  if (precedence === 'list' && !has(msg, 'list-id')) reasons.push('precedence:list');
  const rt = reportType(msg);
  const body = msg.text?.slice(0, 64 * 1024) ?? '';
  if (rt === 'feedback-report' || has(msg, 'feedback-type')) reasons.push('feedback_report');
  else if (sesNotificationType(body) === 'Complaint') reasons.push('ses_complaint');
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
  if (OOO_SUBJECT.test(msg.subject)) reasons.push('out_of_office_subject');
  return reasons;
}

export function classifyMessage(msg: ParsedMessage, ctx: ClassifyContext): Classification {
  const own = ownEchoReasons(msg, ctx);
  if (own.length > 0) return { kind: 'own_echo', reasons: own };
  const bounce = bounceReasons(msg);
  // A challenge-response notice (it looks like a bounce, it holds the mail until the sender
  // confirms) is machine mail, but nothing failed. Only a delivery report proper (a DSN part,
  // X-Failed-Recipients, an Exchange NDR) outweighs its wording.
  const report = bounce.some((r) =>
    /^(?:multipart_report|delivery_status_part|x_failed_recipients|exchange_ndr|ses_notification)/.test(
      r,
    ),
  );
  if (
    bounce.length > 0 &&
    !report &&
    isChallengeNotice(
      msg.subject,
      msg.text ?? msg.htmlText ?? (msg.html ? htmlToText(msg.html) : ''),
    )
  )
    return { kind: 'auto_reply', reasons: ['challenge_response', ...bounce] };
  if (bounce.length > 0) return { kind: 'bounce', reasons: bounce, bounce: parseBounce(msg) };
  const auto = autoReplyReasons(msg);
  if (auto.length > 0) return { kind: 'auto_reply', reasons: auto };
  const reasons =
    has(msg, 'list-id') || first(msg, 'precedence')?.toLowerCase() === 'list'
      ? ['list_traffic']
      : [];
  return { kind: 'human', reasons };
}

/** True when Inlet must not send an automatic reply (acknowledgement) to this message. */
export function suppressesAutoResponse(c: Classification): boolean {
  return c.kind !== 'human' || c.reasons.includes('list_traffic');
}
