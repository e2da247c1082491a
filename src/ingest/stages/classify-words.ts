// The words classify.ts weighs: daemon senders, bounce subjects and phrases, out-of-office subjects
// in many languages. Kept apart so the rules stay readable.
export const DAEMON_LOCAL =
  /^(mailer-daemon|mail-daemon|mailerdaemon|postmaster|post_master|mmdf|mail\.delivery\.system|mdaemon|mailer)$/i;
export const DAEMON_NAME =
  /\b(mail delivery (subsystem|system|service)|mailer[- ]daemon|postmaster|delivery status notification|microsoft outlook|mail administrator|internet mail delivery|system administrator|automated mail delivery)\b/i;
export const BOUNCE_SUBJECT = new RegExp(
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
export const BOUNCE_TEXT = new RegExp(
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
// What auto-responders call their reply, in the languages Inlet has seen. A person writes these
// words too ("Auto-reply not working"), so a subject counts only in the forms in awaySubjectForm.
const OOO_PHRASES = [
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
  'abwesend',
  'nicht im büro',
  'außer haus',
  'réponse automatique',
  'absence du bureau',
  'absent du bureau',
  "message d'absence",
  'respuesta automática',
  'fuera de (la )?oficina',
  'risposta automatica',
  // Italian Outlook's old out-of-office subject.
  'risposta non al computer',
  'fuori ufficio',
  'fuori sede',
  'automatisch antwoord',
  'afwezig',
  'niet op kantoor',
  'resposta automática',
  'fora do escritório',
  'automatiskt svar',
  'frånvaro',
  'automatisk svar',
  'autosvar',
  'fraværende',
  'automatyczna odpowiedź',
  'nieobecność',
  'автоматический ответ',
  'автоответ',
  'нет на месте',
  '自動応答',
  '自動返信',
  '自动答复',
  '自动回复',
  '自動回覆',
  '不在',
  'automaattinen vastaus',
  'odpowied[źz] automatyczna',
  'autoodpowied[źz]',
  'poza biurem',
  'automatick[áa] odpov[ěe][ďd]',
  'nep[řr][íi]tomnost',
  'automatikus v[áa]lasz',
  'r[ăa]spuns automat',
  'otomatik (?:yan[ıi]t|cevap)',
  'автоматична відповідь',
  'αυτόματη απάντηση',
  'automatsko obavje[šs]tenje',
  'samodejni odgovor',
  'automaatvastus',
  '부재',
  '자동 응답',
  'poissa toimistolta',
];
// The phrase anywhere in the subject: a mention, which needs another sign (classify.ts).
export const OOO_SUBJECT = new RegExp(OOO_PHRASES.join('|'), 'i');
// A segment that is nothing but away phrases ("Out of Office AutoReply", "Auto-Reply.").
const AWAY_ONLY = new RegExp(
  `^(?:${OOO_PHRASES.join('|')})(?:[\\s\\-–—/,]*(?:${OOO_PHRASES.join('|')}))*[.!]?$`,
  'i',
);
// A reply word the responder put after its phrase without a colon: "Out of office RE: Invoice".
const TRAILING_REPLY_WORD = /\s+(?:re|aw|fw|fwd|wg|sv|vs|antw|odp|rif|r|res|enc|tr|vl)$/i;
const only = (segment: string | undefined): boolean =>
  segment !== undefined && AWAY_ONLY.test(segment.trim());

// A bracketed tag: the phrase alone, or before a detail ("(Out of Office - back 14 Dec)").
const tag = (segment: string | undefined): boolean =>
  only(segment) || only(segment?.split(/\s[-–—|]\s|[:：]/)[0]);

/**
 * True when the subject is written the way auto-responders write it: the phrase is the whole
 * subject ("Out of office"), the head before a colon ("Automatic reply: Invoice 2231",
 * "Réponse automatique : …", "自動応答：…"), a bracketed tag at the start or end ("[Auto-Reply]
 * Invoice", "Invoice (Out of office)", "… (Out of Office - back Monday)", "【自動返信】…") or the tail after a dash or bar
 * ("Invoice 2231 - Out of office"). Each form tests one segment with an anchored pattern, so the
 * cost stays linear in the subject.
 */
export function awaySubjectForm(subject: string): boolean {
  const s = subject.trim();
  if (only(s)) return true;
  const colon = /[:：]/.exec(s);
  const head = colon ? s.slice(0, colon.index) : '';
  if (only(head) || only(head.replace(TRAILING_REPLY_WORD, ''))) return true;
  const lead = /^[[(（【<]([^\])）】>]{1,80})[\])）】>]/.exec(s);
  const tail = /[[(（【<]([^[(（【<]{1,80})[\])）】>][.!]?$/.exec(s);
  if (tag(lead?.[1]) || tag(tail?.[1])) return true;
  // The last separator with a space before it: "Auto-Reply" keeps its own hyphen.
  const bars = [...s.matchAll(/\s[-–—|]/g)];
  const bar = bars.at(-1);
  return bar !== undefined && only(s.slice(bar.index + 2));
}
// An auto-responder's own words: the writer is away, on leave, or gone for good.
export const AWAY_TEXT = new RegExp(
  [
    "\\b(?:i am|i'm|i will be) (?:currently )?(?:out of (?:the )?office|on (?:vacation|holiday|leave|annual leave|parental leave)|away (?:from|until|till))",
    'out of (?:the )?office (?:until|till|from|with limited)',
    '(?:limited|no) access to (?:my )?e-?mail',
    "i (?:have|'ve) left (?:the company|[\\w ]{1,40} and)",
    'no longer (?:work|with|employed)',
    'this (?:mailbox|address) is no longer (?:monitored|in use|active)',
    'will (?:respond|reply|get back to you) (?:to your (?:e-?mail|message) )?(?:when|upon|after) (?:i|my) return',
    // A full stop after a digit is a German date ("bis zum 14. Dezember", "vom 10.12."), not the
    // sentence's end; the lookbehind keeps the two alternatives disjoint (linear, test/regex-audit).
    'ich bin (?:bis|vom|ab|derzeit|zurzeit) (?:[^.\\n]|(?<=\\d)\\.){0,40}(?:abwesend|nicht im b[üu]ro|im urlaub)',
    'je suis (?:absent|en cong[ée]s)',
    'estoy (?:fuera de la oficina|de vacaciones)',
    'sono (?:fuori ufficio|in ferie)',
    'jestem (?:na urlopie|poza biurem|nieobecn)',
    'ik ben (?:afwezig|met vakantie)',
  ].join('|'),
  'i',
);
