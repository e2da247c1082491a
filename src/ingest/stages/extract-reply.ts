// Reply extraction: the new text of a message without the quoted thread below it and, in
// `reply`, without the sender's signature. Line-based rules in the spirit of GitHub's
// email_reply_parser and talon, measured on their corpora (bench/reply-bench.ts) and extended
// with quote headers in several languages, Outlook header blocks, wrapped "On … wrote:" lines
// and mobile signatures. Bounded work per line, so pathological input stays linear.
import { htmlToText } from './html-to-text.js';

export interface ExtractedReply {
  /** New text: quote and signature removed. Falls back to the whole text when nothing else is left. */
  reply: string;
  /** New text with the signature kept (only the quote removed). */
  replyWithSignature: string;
  hasQuote: boolean;
  hasSignature: boolean;
  /** The signature that `reply` left out, or null. */
  signature: string | null;
}

// Verbs that close an attribution line ("On <date>, <name> wrote:") in the languages we meet.
const WROTE = String.raw`(?:wrote|writes|a [ée]crit|schrieb|escribi[óo]|ha scritto|scrisse|schreef|napisa[łl](?:\(a\)|a)?|escreveu|skrev|kirjoitti|пишет|пише|написал(?:\(а\)|а)?|написа|írta|yazdı|skrifaði|kirjutas|rašė|napsal(?:\(a\))?|写道|寫道|のメッセージ)`;
const ATTRIBUTION = new RegExp(String.raw`^(?:-{2,}\s*)?.{0,400}?\b${WROTE}\s*(?::|：|-{2,})?\s*$`, 'iu');
// Date-first headers without a verb (Gmail in some locales, Yandex, Mail.ru): "<date>, <name> <addr>:"
const DATED_ADDRESS_COLON = /^.{0,200}(?:\d{1,2}[:.]\d{2}|\d{4}).{0,200}(?:<[^<>\s]+@[^<>\s]+>|\S+@\S+\.\w+)\s*:\s*$/u;
const ORIGINAL_MESSAGE = /^\s*[-_=*]*\s*(?:original message|message d'origine|ursprüngliche nachricht|originalnachricht|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|исходное сообщение|исходное письмо|wiadomość oryginalna|oryginalna wiadomość|alkuperäinen viesti|opprinnelig melding|oprindelig meddelelse|ursprungligt meddelande|původní zpráva|eredeti üzenet|reply message|原始邮件|原始郵件)\s*[-_=*]*\s*$/iu;
const SEPARATOR_LINE = /^\s*(?:_{10,}|-{10,})\s*$/;

type HeaderField = 'from' | 'date' | 'to' | 'subject' | 'cc';
const HEADER_FIELDS: [HeaderField, string][] = [
  ['from', 'from|von|de|da|van|od|от|fra|frå|från|lähettäjä|feladó|kimden|afzender|mittente|remitente|expéditeur|absender|发件人|寄件者|差出人'],
  ['date', 'sent|date|datum|envoyé|enviado|inviato|verzonden|wysłano|wysłany|data|отправлено|дата|sendt|skickat|lähetetty|päivämäärä|gesendet|fecha|dato|elküldve|odesláno|发送时间|日期|時間'],
  ['to', 'to|an|à|a|para|aan|do|кому|til|till|vastaanottaja|címzett|komu|收件人|宛先'],
  ['subject', 'subject|betreff|objet|oggetto|asunto|assunto|onderwerp|temat|тема|emne|ämne|aihe|tárgy|předmět|主题|主旨|件名|sujet'],
  ['cc', 'cc|kopie|копия|kopio|másolat'],
];
const HEADER_LINE = HEADER_FIELDS.map(([field, names]) => [field, new RegExp(String.raw`^[*>\s]*(?:${names})\s*:\s*\**\s*\S`, 'iu')] as const);

const SIG_DELIMITER = /^(?:--|-- |—-|__)\s*$/;
// "Sent from my iPhone", "Envoyé de mon iPad", "Von meinem iPhone gesendet", "Get Outlook for iOS".
const MOBILE = [
  /^(?:sent|envoy[ée]|enviado|inviato|verzonden|verstuurd|gesendet|wysłane|отправлено|sendt|skickat|lähetetty)\s+(?:from|with|via|on|de|desde|da|depuis|avec|vanaf|met|von|mit|z|с|fra|från)\s+(.{1,60})$/iu,
  /^(?:von meinem|vanaf mijn|från min|fra min)\s+\S+(?:\s+\S+){0,3}\s+(?:gesendet|verzonden|verstuurd|skickat|sendt)\.?$/iu,
  /^get outlook for (?:ios|android)\b.{0,60}$/iu,
];
const VALEDICTION = /^(?:(?:best|kind|warm|warmest|many)\s+)?(?:regards|wishes)[,.!]?$|^cordialement[,.]?$|^mit freundlichen gr(?:ü|ue)(?:ß|ss)en[,.]?$|^(?:un )?saludos?(?: cordiales)?[,.]?$|^met vriendelijke groet(?:en)?[,.]?$|^pozdrawiam[,.]?$|^с уважением[,.]?$|^distinti saluti[,.]?$|^atenciosamente[,.]?$|^med vänlig hälsning[,.]?$|^ystävällisin terveisin[,.]?$|^venlig hilsen[,.]?$/iu;

// Zero-width and direction marks that some clients sprinkle into headers (Windows Mail).
const INVISIBLE = /[\u200b-\u200f\u2060\ufeff]/g;
const clean = (line: string): string => line.replace(INVISIBLE, '').replace(/\u00a0/g, ' ').trim();
const isQuoteLine = (line: string): boolean => /^\s*>/.test(line);
const isBlank = (line: string): boolean => clean(line) === '';

/** Index where an attribution spanning up to three wrapped lines starting at `i` ends, or -1. */
function attributionEnd(lines: string[], i: number): number {
  const first = clean(lines[i] ?? '');
  if (first === '' || isQuoteLine(first) || first.length > 400) return -1;
  let joined = first;
  for (let j = i; j < Math.min(lines.length, i + 4); j++) {
    if (j > i) {
      const next = clean(lines[j] ?? '');
      if (next === '' || isQuoteLine(next)) return -1;
      joined += ' ' + next;
    }
    if (ATTRIBUTION.test(joined) && startsLikeAttribution(joined)) return j;
    if (DATED_ADDRESS_COLON.test(joined) && quoteFollows(lines, j + 1)) return j;
  }
  return -1;
}

// "Wrote:" at a line end inside a paragraph is not enough: the line must open the way mail
// clients write attributions — with a preposition, a date, a name or an address.
function startsLikeAttribution(text: string): boolean {
  if (/^(?:-{2,}\s*)?(?:on|le|am|el|il|op|em|den|på|w dniu|dnia|dne|pe|в|у|ma|i|el día|le jour|\d)/iu.test(text)) return true;
  return /@|<[^>]+>|\d{1,2}[:.]\d{2}/.test(text) || /^[\p{Lu}][\p{L}'.-]*(?:\s+[\p{Lu}][\p{L}'.-]*){0,3}\s+\S+\s*:?$/u.test(text);
}

function quoteFollows(lines: string[], from: number): boolean {
  for (let k = from; k < Math.min(lines.length, from + 3); k++) {
    const line = lines[k] ?? '';
    if (isQuoteLine(line)) return true;
    if (!isBlank(line)) return false;
  }
  return false;
}

function headerField(line: string): HeaderField | null {
  const text = clean(line);
  for (const [field, re] of HEADER_LINE) if (re.test(text)) return field;
  return null;
}

/** A "From: / Sent: / To: / Subject:" block starts at `i` (Outlook, Apple Mail forwards, webmail). */
function isHeaderBlock(lines: string[], i: number): boolean {
  const first = headerField(lines[i] ?? '');
  if (first === null) return false;
  const seen = new Set<HeaderField>([first]);
  for (let j = i + 1; j < Math.min(lines.length, i + 8); j++) {
    const field = headerField(lines[j] ?? '');
    if (field !== null) seen.add(field);
  }
  return seen.has('from') && seen.size >= 2 && (seen.has('date') || seen.has('subject') || seen.has('to'));
}

/** First line of the quoted thread, or -1. */
function findQuoteStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const text = clean(lines[i] ?? '');
    if (text === '') continue;
    if (ORIGINAL_MESSAGE.test(text)) return i;
    if (SEPARATOR_LINE.test(text)) {
      let k = i + 1;
      while (k < lines.length && isBlank(lines[k] ?? '')) k++;
      if (isHeaderBlock(lines, k)) return i;
      continue;
    }
    if (isHeaderBlock(lines, i)) return i;
    if (attributionEnd(lines, i) !== -1) return i;
  }
  return -1;
}

/** Start of a trailing block made only of quoted and blank lines (plus the attribution above it). */
function trailingQuoteStart(lines: string[]): number {
  let k = lines.length;
  let sawQuote = false;
  while (k > 0) {
    const line = lines[k - 1] ?? '';
    if (isQuoteLine(line)) sawQuote = true;
    else if (!isBlank(line)) break;
    k--;
  }
  if (!sawQuote) return -1;
  const above = k - 1;
  if (above >= 0 && /:\s*$/.test(clean(lines[above] ?? '')) && (ATTRIBUTION.test(clean(lines[above] ?? '')) || /@|\d/.test(lines[above] ?? ''))) return above;
  return k;
}

function isMobileSignature(line: string): boolean {
  const text = clean(line).replace(/<[^>]*>|\([^)]*\)/g, '').trim();
  if (text.length > 80) return false;
  return MOBILE.some((re) => {
    const m = re.exec(text);
    if (m === null) return false;
    const rest = m[1];
    // "Sent from my desk, is much easier…" is prose: a device name has no punctuation and few words.
    return rest === undefined || (!/[,;:!?]/.test(rest) && rest.trim().split(/\s+/).length <= 5);
  });
}

/** Index of the first signature line in `lines` (already free of the quote), or -1. */
function findSignatureStart(lines: string[]): number {
  let end = lines.length;
  while (end > 0 && isBlank(lines[end - 1] ?? '')) end--;
  for (let i = 0; i < end; i++) {
    if (!SIG_DELIMITER.test(lines[i] ?? '')) continue;
    const after = lines.slice(i + 1, end).filter((l) => !isBlank(l));
    if (after.length > 0 && after.length <= 15) return i;
  }
  const last = end - 1;
  let start = -1;
  if (last >= 0 && isMobileSignature(lines[last] ?? '')) start = last;
  // A bare closing ("Regards,") followed by a few short lines — name, title, phone — ends the message.
  const tailEnd = start === -1 ? end : start;
  for (let i = Math.max(0, tailEnd - 6); i < tailEnd; i++) {
    if (!VALEDICTION.test(clean(lines[i] ?? ''))) continue;
    const rest = lines.slice(i + 1, tailEnd).filter((l) => !isBlank(l));
    if (rest.every((l) => clean(l).length <= 60)) return i;
  }
  return start;
}

const joinTrim = (lines: string[]): string => lines.join('\n').replace(/^(?:[ \t]*\n)+/, '').trimEnd();

export function extractReply(text: string): ExtractedReply {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let body = lines;
  let hasQuote = false;
  const quoteStart = findQuoteStart(lines);
  if (quoteStart !== -1 && lines.slice(0, quoteStart).some((l) => !isBlank(l) && !isQuoteLine(l))) {
    body = lines.slice(0, quoteStart);
    hasQuote = true;
  }
  const trailing = trailingQuoteStart(body);
  if (trailing !== -1 && body.slice(0, trailing).some((l) => !isBlank(l))) {
    body = body.slice(0, trailing);
    hasQuote = true;
  }
  hasQuote ||= lines.some(isQuoteLine);
  const replyWithSignature = joinTrim(body);
  const sigStart = findSignatureStart(body);
  const beforeSig = sigStart === -1 ? replyWithSignature : joinTrim(body.slice(0, sigStart));
  if (sigStart === -1 || beforeSig === '') {
    const reply = replyWithSignature === '' ? text.trim() : replyWithSignature;
    return { reply, replyWithSignature: reply, hasQuote, hasSignature: false, signature: null };
  }
  return { reply: beforeSig, replyWithSignature, hasQuote, hasSignature: true, signature: joinTrim(body.slice(sigStart)) };
}

/** Reply extraction for messages that only have HTML: rendered to text first (blockquotes become "> "). */
export function extractReplyFromHtml(html: string): ExtractedReply {
  return extractReply(htmlToText(html));
}
