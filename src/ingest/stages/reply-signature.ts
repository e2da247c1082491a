// The sender's signature under the new text of a reply: a "-- " delimiter, a phone client's line
// ("Sent from my iPhone" in the languages we meet), a closing and name over a block of title and
// contact lines, a list's or company's footer under a rule. Split from extract-reply.ts, which
// removes the quote first and asks this module where the signature starts.
import { contactBlockStart, noticeStart } from './extract-reply-contact.js';

// A dash alone on its line is how some clients set off their sign-off ("—\nSent from Mailbox").
const SIG_DELIMITER = /^(?:--|-- |—-|__|—|–)\s*$/;
// "Sent from my iPhone", "Envoyé de mon iPad", "Von meinem iPhone gesendet", "Get Outlook for iOS".
const MOBILE = [
  /^(?:sent|envoy[ée]|enviado|enviat|inviato|verzonden|verstuurd|gesendet|wysłane|отправлено|надіслано|изпратено|sendt|skickat|lähetetty|trimis|odesláno|odoslané|poslano|poslato|στάλθηκε|saadetud|išsiųsta|nosūtīts|dikirim|dihantar|được gửi)\s+(?:(?<by>by|via|on|with|using|avec|con|mit|met)|from|de|desde|des de(?:l)?|da|do|depuis|vanaf|vanuit|von|z|ze|с|з|от|fra|från|[àa] partir de|de pe|iz|s|sa|iš|no|dari|từ|από(?: το)?)\s+(?<rest>.{1,60})$/iu,
  // Hebrew, Arabic and Thai put the verb first too: "נשלח מה-iPhone שלי", "أرسلت من iPhone".
  /^(?:נשלח\s+מ\S*|(?:أُ?رسلت?|مرسلة?)\s+من|ส่งจาก)\s*\S.{0,40}$/u,
  // Finnish and Hungarian put the device first and mark it with a case ending: "Lähetetty
  // iPhonesta", "Az iPhone-omról küldve".
  /^lähetetty\s+\S+(?:sta|stä)$/iu,
  /^az\s+\S+(?:ról|ről)\s+küldve$/iu,
  // GMX and WEB.DE: "Diese Nachricht wurde von meinem Android Mobiltelefon mit GMX Mail gesendet."
  /^diese nachricht wurde von meinem\s+\S+(?:\s+\S+){0,6}\s+gesendet\.?$/iu,
  /^(?:von meinem|vanaf mijn|från min|fra min)\s+\S+(?:\s+\S+){0,3}\s+(?:gesendet|verzonden|verstuurd|skickat|sendt)\.?$/iu,
  // Device first, then the verb: Turkish, Japanese, Chinese, Korean.
  /^\S+(?:'?(?:dan|den|tan|ten))\s+gönderildi$/iu,
  /^\S{1,30}から送信$/u,
  /^(?:从|從|發自|发自|來自)我的\s?\S{1,30}(?:\s?(?:发送|傳送))?$/u,
  /^\S{1,30}에서\s+보냄$/u,
];
const VALEDICTION =
  /^(?:all the best|best|cheers|thanks(?: again| a lot)?|many thanks|thank you|bien à vous|(?:mit )?freundliche(?:n)? gr(?:ü|ue|u)(?:ß|ss)(?:e|en)|(?:viele|liebe|beste) gr(?:ü|ue)(?:ß|ss)e|(?:met )?vriendelijke groet(?:en)?|cumprimentos|salud|un saludo|atentamente|bien cordialement|cordiali saluti|saluti|grazie|abraços|obrigad[oa]|s pozdravem|pozdrav|üdvözlettel|saygılarımla|med vennlig hilsen|med venlig hilsen|mvh|hälsningar|groetjes|спасибо|(?:yours )?sincerely(?: yours)?|yours (?:truly|faithfully)|respectfully(?: yours)?|take care|z poważaniem|z pozdrowieniami|pozdrawiam serdecznie|serdecznie pozdrawiam|(?:med )?vänliga hälsningar|vennlig hilsen|hilsen|terveisin|un cordial saludo|cordiales saludos|με εκτίμηση|φιλικά|trân trọng|hormat (?:saya|kami)|tisztelettel|s úctou|srdečne|lep pozdrav|srdačan pozdrav|cu stimă|cu drag|toate cele bune|sincères salutations|salutations distinguées|meilleures salutations|hochachtungsvoll|liebe grüße|lg|vg|mfg|grüße|gruß|grüßle|hartelijke groet(?:en)?|groeten|pozdrowienia|with (?:best|kind|warm|many thanks and best) wishes|with (?:kind |warm |best )?regards|vriendelijke groet(?:en)?|met groet|saudações|um abraço|un abrazo|cordialmente|с наилучшими пожеланиями|всего доброго|з повагою|поздрави|saygılar|iyi çalışmalar|敬具|此致敬礼|よろしくお願いします|감사합니다|مع تحياتي|مع خالص التحيات|تحياتي|בברכה|با احترام)[,.!]?$|^(?:(?:best|kind|warm|warmest|many)\s+)?(?:regards|wishes)[,.!]?$|^cordialement[,.]?$|^mit freundlichen gr(?:ü|ue)(?:ß|ss)en[,.]?$|^(?:un )?saludos?(?: cordiales)?[,.]?$|^met vriendelijke groet(?:en)?[,.]?$|^pozdrawiam[,.]?$|^с уважением[,.]?$|^distinti saluti[,.]?$|^atenciosamente[,.]?$|^med vänlig hälsning[,.]?$|^ystävällisin terveisin[,.]?$|^venlig hilsen[,.]?$/iu;

// Thanks as a closing ("Danke", "Thanks in advance,"), also before another closing ("Thanks and
// regards,", "Vielen Dank und viele Grüße"), in the languages the closings above are in.
const THANKS =
  /^(?:thx|thanks?(?: you)?(?: (?:so|very) much| in advance| again| a lot)?|many thanks|danke(?: schön| sehr)?|vielen dank|merci(?: beaucoup| bien| d'avance)?|(?:muchas )?gracias(?: de antemano)?|grazie(?: mille)?|dank (?:je|u)(?: wel)?|bedankt|tack(?: så mycket)?|tak|takk|kiitos|dzięki|dziękuję|díky|děkuji|köszönöm|teşekkürler|teşekkür ederim|ciao)(?:[,.!]?$|\s*(?:and|&|und|et|y|e|en|och|og|ja|i|a|és|ve)\s+(?=\S))/iu;
const GREETINGS = /^(?:herzliche|schöne|sonnige|freundliche) gr(?:ü|ue)(?:ß|ss)e[,.!]?$/iu;

// A closing, or one written in two languages ("Met vriendelijke groet / Kind regards,").
const isClosing = (line: string): boolean => {
  if (VALEDICTION.test(line) || GREETINGS.test(line)) return true;
  const thanks = THANKS.exec(line);
  if (thanks === null) return false;
  const rest = line.slice(thanks[0].length);
  return rest === '' || VALEDICTION.test(rest) || GREETINGS.test(rest);
};
const isValediction = (line: string): boolean =>
  isClosing(line) ||
  (line.includes('/') && splitAtSpacedSlash(line).some((part) => isClosing(part)));

const SPACE = /\s/;
/**
 * `line.split(/\s+\/\s+/)`, found from each '/' instead: the regex, tried from every character of
 * a long run of spaces that no '/' follows, was quadratic (32,000 spaces: 8.5 s for one line).
 */
export function splitAtSpacedSlash(line: string): string[] {
  const parts: string[] = [];
  let from = 0; // where the current part starts, and where the next separator may start
  for (let slash = line.indexOf('/'); slash !== -1; slash = line.indexOf('/', slash + 1)) {
    let start = slash;
    while (start > from && SPACE.test(line[start - 1]!)) start--;
    let end = slash + 1;
    while (end < line.length && SPACE.test(line[end]!)) end++;
    if (start === slash || end === slash + 1) continue;
    parts.push(line.slice(from, start));
    from = end;
    slash = end - 1;
  }
  parts.push(line.slice(from));
  return parts;
}

// Zero-width and direction marks that some clients sprinkle into headers (Windows Mail).
// Gmail wraps right-to-left attributions in embedding and isolate controls.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;
// Most lines hold none of those nor a no-break space: they are only trimmed (no copies made).
const SPECIAL = /[\u00a0\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
export const clean = (line: string): string =>
  SPECIAL.test(line)
    ? line
        .replace(INVISIBLE, '')
        .replace(/\u00a0/g, ' ')
        .trim()
    : line.trim();
// Nothing but white space and invisible marks (what clean() leaves empty).
const VISIBLE = /[^\s\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069]/;
export const isBlank = (line: string): boolean => !VISIBLE.test(line);

// A device line is short; with its link or comments removed it is under 80 characters. Lines
// longer than this are not looked at, and the groups stop at an opening bracket, so a line of
// thousands of "<" or "(" is not rescanned from every one of them.
const MOBILE_LINE_MAX = 1000;

// The Outlook app's sign-off in every language it ships ("Get Outlook for iOS", "Verzonden vanuit
// Outlook voor iOS", "Outlook für iOS beziehen", "iOS 版 Outlook を入手"): a line of these words
// only, naming Outlook and a phone system. Any other word ("crashes") makes it the person's text.
const OUTLOOK_WORDS = new Set(
  'get download sent from for with via using on the app my microsoft verzonden vanuit voor downloaden ophalen von für gesendet beziehen herunterladen holen envoyé envoye depuis de pour obtenir télécharger enviado desde para obtener obter o baixar descargar inviato da per ottieni scarica wysłane z pobierz aplikację aplikacji dla systemu skickat från för skaffa hämta sendt fra til hent få lähetetty hanki odesláno pro stáhněte si získejte отправлено из для получить скачать надіслано з отримати gönderildi için edinin indirin trimis pe pentru obține descarcă aus met van à a partir le il i 版 を入手 入手 获取 获得 下载 받기 다운로드 הורד את ל احصل على تنزيل dapatkan unduh untuk'.split(
    ' ',
  ),
);
function isOutlookSignOff(text: string): boolean {
  if (!/outlook/i.test(text)) return false;
  const words = text
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/[.,!]+$/u, ''));
  let outlook = false;
  let system = false;
  for (const w of words) {
    if (w.startsWith('outlook')) outlook = true;
    else if (/^(?:ios|android)/.test(w)) system = true;
    else if (!OUTLOOK_WORDS.has(w)) return false;
  }
  return outlook && system && words.length <= 10;
}

// No verb, only the device: "From my iPhone", "Från min iPhone", "Jane from mobile". Only a device
// word ends such a line ("From my side everything is fine" is the person's), and it opens with a
// capital: a wrapped sentence goes on with "from my phone" in lower case.
const DEVICE_ONLY =
  /^(?:\p{L}+\s+)?(?:from|från|fra|von|depuis|desde|dal|van|z)\s+(?:my|min|mit|meinem|mon|mi|mio|mijn|mého|mojego)?\s*(?:iphone|ipad|android|galaxy|samsung|pixel|mobile|phone|smartphone|tablet|blackberry|handy|mobil(?:gerät|telefon)?|telefon|móvil|celular|portable)(?:\s+\w{1,10})?$/iu;
// The mark (U+1427) that Gmail add-ons (Streak, Mixmax) put under the text to track opens.
const TRACKING_MARK = '\u1427';

// What a device or app sign-off names: the sender's own device ("my iPhone", "mon iPad"), a
// device or mail-app word, or a product name — a word with a capital inside or a digit
// ("iPhone", "BlackBerry", "GMX", "Note10") or capitalised words ("Superhuman", "Spark"); a
// capitalised word after "on" is as likely a day or a place ("Sent on Monday").
const POSSESSIVE = /^(?:my|mon|ma|mes|mi|mio|mia|meinem|meiner|mijn)\s/iu;
const DEVICE_WORD =
  /(?<!\p{L})(?:i?phone|ipad|ipod|android|ios|mobile|mobil\p{L}*|cell|device|tablet|watch|app|application|e-?mail|mail|blackberry|smartphone|handy|telefon\p{L}*|t[ée]l[ée]phone|portable|m[óo]vil|celular|outlook|gmail|yahoo)(?!\p{L})/iu;
const PRODUCT_WORD = /\p{Ll}\p{Lu}|\p{Lu}{2,}|\d/u;
const CAPITALISED = /^\p{Lu}\S*(?:\s+\p{Lu}\S*){0,2}$/u;
function namesDevice(rest: string, afterOn: boolean): boolean {
  const name = rest.trim();
  return (
    POSSESSIVE.test(name) ||
    DEVICE_WORD.test(name) ||
    PRODUCT_WORD.test(name) ||
    (!afterOn && CAPITALISED.test(name))
  );
}

// "Sent from my desk, is much easier…" is prose: a device's name has no sentence punctuation and
// few words. Carriers and vendors write longer ones and list the carrier first ("my Verizon,
// Samsung Galaxy smartphone", "my Huawei Mate 20 Pro on the Vodafone network", "mi Samsung Galaxy
// S21 de Movistar"): up to ten words and commas are a name too when it names a device or a
// product and every part after a comma is a name (capitalised), not a clause going on.
const DEVICE_NAME_WORDS = 5;
const LONG_DEVICE_NAME_WORDS = 10;
function isDeviceName(rest: string): boolean {
  if (/[;:!?]/.test(rest)) return false;
  const words = rest.trim().split(/\s+/).length;
  const parts = rest.split(',');
  if (parts.length === 1 && words <= DEVICE_NAME_WORDS) return true;
  return (
    words <= LONG_DEVICE_NAME_WORDS &&
    parts.slice(1).every((p) => /^\s*\p{Lu}/u.test(p)) &&
    (DEVICE_WORD.test(rest) || PRODUCT_WORD.test(rest))
  );
}

export function isMobileSignature(line: string): boolean {
  if (line.length > MOBILE_LINE_MAX) return false;
  if (line.trim() === TRACKING_MARK) return true;
  // A sign-off some apps wrap whole in brackets ("(Sent via Superhuman)") is read without them.
  const text = clean(line)
    .replace(/^[([]([^()[\]]+)[)\]]$/u, '$1')
    .replace(/<[^<>]*>|\([^()]*\)/g, '')
    .trim();
  if (text.length > 100) return false;
  if (isOutlookSignOff(text) || (/^\p{Lu}/u.test(text) && DEVICE_ONLY.test(text))) return true;
  return MOBILE.some((re) => {
    const m = re.exec(text);
    if (m === null) return false;
    const rest = m.groups?.rest;
    if (rest === undefined) return true;
    if (!isDeviceName(rest)) return false;
    // "Sent by post yesterday", "Sent with love", "Sent on Monday" are prose too: after these
    // prepositions the line must name a device or an app.
    const by = m.groups?.by;
    return by === undefined || namesDevice(rest, by.trim().toLowerCase() === 'on');
  });
}

// A mailing list's footer under a rule of underscores (Mailman: "____\nlist-name mailing list\n
// address\nlistinfo URL"): the list wrote it, not the person.
// Company footers do the same under a long rule or a dotted one ("**. . . . . . .**"): a logo,
// legal lines, a contact address.
const LIST_RULE = /^[ \t]*(?:_{20,}|(?:\*\*)?(?:[.·•] ?){6,}(?:\*\*)?)[ \t]*$/u;
const LIST_FOOTER_HINT =
  /mailing list|listinfo|unsubscribe|mailman|https?:\/\/|@[\w-]+\.\w|\b(?:ltd|gmbh|inc|llc)\b|©/i;
const LIST_FOOTER_MAX_LINES = 6;
const SHORT_RULE = /^[ \t]*(?:_{8,}|-{8,})[ \t]*$/;

/** Index of the rule above a list footer that ends the text (before `end`), or -1. */
function listFooterStart(lines: string[], end: number): number {
  let seen = 0;
  for (let i = end - 1; i >= 0 && seen <= LIST_FOOTER_MAX_LINES; i--) {
    const line = lines[i] ?? '';
    const list = LIST_RULE.test(line);
    if (list || SHORT_RULE.test(line)) {
      // A name and place under a rule, closed by a phone client's line, is a signature block.
      if (seen > 1 && SHORT_RULE.test(line) && isMobileSignature(lines[end - 1] ?? '')) return i;
      return list && seen > 0 && lines.slice(i + 1, end).some((l) => LIST_FOOTER_HINT.test(l))
        ? i
        : -1;
    }
    if (!isBlank(line)) seen++;
  }
  return -1;
}

// How far above the end a closing is looked for, and what a name under it looks like ("Jane",
// "Perrin Aybara", "-- J. Doe"): a few capitalised words, no digits or address.
const CLOSING_WINDOW = 9;
const NAME_LINE = /^[-/~]?\s*\p{Lu}[\p{L}.'-]*(?:\s+\p{L}[\p{L}.'-]*){0,3}$/u;

/** Index of the first signature line in `lines` (already free of the quote), or -1. */
export function findSignatureStart(lines: string[]): number {
  let end = lines.length;
  while (end > 0 && isBlank(lines[end - 1] ?? '')) end--;
  // The signature rules below read the person's text, above a list footer when there is one.
  const footer = listFooterStart(lines, end);
  if (footer !== -1) {
    end = footer;
    while (end > 0 && isBlank(lines[end - 1] ?? '')) end--;
  }
  // Non-blank lines after each delimiter, counted once from the end (a text of thousands of "--"
  // lines would otherwise recount the rest for every one of them).
  let nonBlankAfter = 0;
  let delimiter = -1;
  for (let i = end - 1; i >= 0; i--) {
    if (SIG_DELIMITER.test(lines[i] ?? '') && nonBlankAfter > 0 && nonBlankAfter <= 15)
      delimiter = i;
    if (!isBlank(lines[i] ?? '')) nonBlankAfter++;
  }
  if (delimiter !== -1) return delimiter;
  const last = end - 1;
  let start = -1;
  if (last >= 0 && isMobileSignature(lines[last] ?? '')) start = last;
  // A closing ("Regards,") and a name, then a few short lines — title, company, phone — end the
  // message: the closing and the name are the person's text (issue #16), the lines under them the
  // signature.
  // A confidentiality notice under them is the signature's too, however long its lines.
  const tailEnd = start === -1 ? end : start;
  const noticeAt = noticeStart(lines, tailEnd);
  for (let i = Math.max(0, noticeAt - CLOSING_WINDOW); i < noticeAt; i++) {
    if (!isValediction(clean(lines[i] ?? ''))) continue;
    let name = i + 1;
    while (name < tailEnd && isBlank(lines[name] ?? '')) name++;
    let after = name + 1;
    while (after < tailEnd && isBlank(lines[after] ?? '')) after++;
    const rest = lines.slice(after, Math.max(after, noticeAt)).map(clean);
    if (
      after < tailEnd &&
      NAME_LINE.test(clean(lines[name] ?? '')) &&
      rest.every((l) => l.length <= 60 && !/^p\.?\s?s\b/iu.test(l))
    )
      return after;
  }
  if (start !== -1) return start;
  // A name over contact lines starts the signature; under a closing, the name stays with it.
  const contact = contactBlockStart(lines, end);
  if (contact === -1) return footer;
  let above = contact - 1;
  while (above > 0 && isBlank(lines[above] ?? '')) above--;
  if (!isValediction(clean(lines[above] ?? ''))) return contact;
  let after = contact + 1;
  while (after < end && isBlank(lines[after] ?? '')) after++;
  return after < end ? after : footer;
}
