// The words reply extraction looks for, in the languages mail clients write them in: the verbs of
// attribution lines ("On …, Jane wrote:"), the captions above an original or forwarded message,
// the labels of quoted header blocks and the prepositions attributions open with. Split from
// extract-reply.ts, which applies them line by line.

// Verbs that close an attribution line ("On <date>, <name> wrote:") in the languages we meet.
export const WROTE = String.raw`(?:wrote|writes|a [ée]crit|schrieben sie|schrieb|escribi[óo]|ha scritto|scrisse|schreef|het volgende geschreven|geschreven|geschrieben|napisa(?:[łl](?:\(a\)|a)?|na)|pisze|έγραψε|escreveu|skrev|kirjoitti|пишет|пише|написал(?:\(а\)|а)?|написав|написала|написа|írta|yazdı|skrifaði|kirjutas|rašė|napsal(?:\(a\))?|nap[íi]sal(?:\(a\)|a)?|je napisa(?:o|la|l)|a scris|menulis|đã viết|va escriure|rakstīja|작성|写道|寫道|のメッセージ|書きました|كتبت?|تمت كتابة ما يلي بواسطة|כתב(?:/ה|ה)?|نوشت(?:ه)?|ने लिखा|เขียน(?:ว่า)?|aliandika|sumulat)`;
// The verb may be followed by the sender ("schreef Jan <jan@x.nl>:", "skrev Test User <t@x.no>:").
// A verb stands as a word of its own, except in scripts written without spaces: "于2024年1月1日
// 10:00写道：" glues the Chinese verb to the time. The tail after the verb has one run of spaces
// between its colon and dashes (`\s*(?:-{2,})?\s*` matched the same lines, but two runs of spaces
// in a row backtracked against each other: a verb then 8,000 tabs took minutes).
export const ATTRIBUTION = new RegExp(
  String.raw`^(?:-{2,}\s*)?.{0,400}?(?:(?<![\p{L}\p{N}])|(?=[\p{sc=Han}\p{sc=Hangul}\p{sc=Hiragana}\p{sc=Katakana}]))${WROTE}(\s+[^\s:：-].{0,150}?)?\s*(?:[:：]\s*)?(?:-{2,}\s*)?$`,
  'iu',
);
// ATTRIBUTION cannot match without one of the verbs, so lines without one never reach it. The verb
// test spells every letter as a class of its case variants instead of using the 'i' flag, which made
// it several times slower (and lower-casing the line first was as slow on non-Latin text).
// Letters whose case-insensitive matches go beyond their upper- and lower-case forms, found by
// testing every code point against WROTE's letters with the 'iu' flags:
const FOLD_EXTRAS: Record<string, string> = {
  s: '\u017f',
  k: '\u212a',
  в: '\u1c80',
  с: '\u1c83',
  т: '\u1c84\u1c85',
};

/** `source` (letters, groups, classes; no escaped letters) matching at least what it matches with 'i', without that flag. */
function caseExpanded(source: string): string {
  let out = '';
  let inClass = false;
  for (const ch of source) {
    if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    if (!/\p{L}/u.test(ch)) {
      out += ch;
      continue;
    }
    const variants =
      [...new Set([ch, ch.toLowerCase(), ch.toUpperCase()])]
        .filter((v) => [...v].length === 1)
        .join('') + (FOLD_EXTRAS[ch] ?? '');
    out += inClass ? variants : `[${variants}]`;
  }
  return out;
}
const VERB = new RegExp(caseExpanded(WROTE), 'u');
export const hasVerb = (text: string): boolean => VERB.test(text);

export const ORIGINAL_MESSAGE =
  /^[-_=*\s]*(?:original message|message d'origine|ursprüngliche nachricht|original-?nachricht|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|pôvodná správa|originalna poruka|orijinal mesaj|özgün ileti|αρχικό μήνυμα|originalmeddelelse|mesaj(?:ul)? original|оригінальне повідомлення|元のメッセージ|원본 메시지|исходное сообщение|исходное письмо|wiadomość oryginalna|oryginalna wiadomość|alkuperäinen viesti|opprinnelig melding|oprindelig meddelelse|oprindelig besked|ursprungligt meddelande|původní zpráva|eredeti üzenet|reply message|antwort nachricht|原始邮件|原始郵件)[-_=*\s]*$/iu;
// Framing and spaces are one class, and ':' only matches as itself: adjacent optional runs of spaces
// made a long run of them inside a line backtrack polynomially.
// The caption clients put above a forwarded message ("Begin forwarded message:", "Forwarded
// message:", "Début du message réexpédié :"); like ORIGINAL_MESSAGE, everything below it is quoted.
export const FORWARD_CAPTION =
  /^[-_=*\s]*(?:begin forwarded message|forwarded message|début du message réexpédié|message transféré|weitergeleitete nachricht|anfang der weitergeleiteten nachricht|mensaje reenviado|messaggio inoltrato|inizio messaggio inoltrato|doorgestuurd bericht|begin doorgestuurd bericht|mensagem encaminhada|início da mensagem reencaminhada|пересланное сообщение|przekazana wiadomość|videresendt melding|vidarebefordrat meddelande|välitetty viesti|přeposlaná zpráva|preposlaná správa|videresendt meddelelse|továbbított üzenet|iletilen ileti|προωθημένο μήνυμα|пересланий лист|転送されたメッセージ|转发的邮件|轉寄的郵件|message transmis|mensagem reencaminhada|mesaj redirecționat|edelleenlähetetty viesti|välitetty viesti(?:\s*\/\s*fwd\.msg)?|välitetty viesti alkaa|пересылаемое сообщение|перенаправленное сообщение|перенаправлене повідомлення|переслане повідомлення|начало переадресованного сообщения|початок листа, що пересилається|iletilmiş mesaj|iletilen ileti|ileti başlangıcı|proslijeđena poruka|započni proslijeđenu poruku|treść przekazanej wiadomości|wiadomość przesłana dalej|początek przekazywanej wiadomości|začátek přeposílané zprávy|začiatok preposlanej správy|preposlaná správa\s*-{2,}\s*forwarded message|start på videresendt besked|inicio del mensaje reenviado|début du message transféré|továbbított levél kezdete|início da mensagem encaminhada|începe mesajul redirecționat|vidarebefordrat mejl|メッセージを転送)[-_=*\s]*(?::[-_=*\s]*)?$/iu;

// Gmail's placeholder for the quote it folded away when a message is printed or forwarded
// ("[Quoted text hidden]", "[Texto citado oculto]", "- Show quoted text -"): it stands where the
// quote was, so it is no more the person's text than the quote. A bracketed or dash-framed short
// line naming quoted text and its hiding or showing, in the languages Gmail writes it in.
const QUOTED_WORD =
  /(?<!\p{L})(?:quoted|citad[oa]s?|citat[oa]|cit[ée]e?s?|zitiert\p{L}*|geciteerde|citerad|siteret|sitert|cytowan\p{L}*|цитир\p{L}*|lainattu|idézett|citovan\p{L}*|messages? précédents?|mensagens anteriores|引用)/iu;
const HIDDEN_WORD =
  /(?<!\p{L})(?:hidden|hide|show|ocult[oa]s?|mostrar|masqu[ée]e?s?|afficher|ausgeblendet|einblenden|ausblenden|nascost[oa]|mostra|verborgen|weergeven|dold|visa|skjult|vis|ukryt\p{L}*|pokaż|скрыт\p{L}*|показать|piilotettu|näytä|elrejtve|skryt\p{L}*|zobrazit)(?!\p{L})|非表示|表示|隐藏|隱藏|显示|顯示/iu;
const FRAMED_LINE = /^(?:\[[^[\]]{4,80}\]|\([^()]{4,80}\)|-\s[^-]{4,80}\s-)$/u;
export const isHiddenQuote = (text: string): boolean =>
  text.length <= 90 && FRAMED_LINE.test(text) && QUOTED_WORD.test(text) && HIDDEN_WORD.test(text);

// Helpdesks put a marker above their message ("##- Please type your reply above this line -##",
// "Bitte geben Sie Ihre Antwort über dieser Zeile ein"): everything from it down is theirs.
const REPLY_ABOVE =
  /(?:above|über|oberhalb|au-dessus|encima|sopra|boven|acima|powyżej|ovanför|over|yläpuolelle|над|выше)\s+(?:this|dieser|de cette|de esta|esta|questa|deze|desta|tej|denna|denne|tämän|этой)\s+(?:line|zeile|ligne|línea|linea|riga|regel|lijn|linha|linii|rad|linje|linjen|rivin|строкой|строки)|この行より上|此行上方|此行以上|이 줄 위/iu;
// A marker asks for the reply ("Please type your reply above this line") or is framed by the
// helpdesk ("##- … -##", "[--- … ---]"); prose that only says where something sits ("the sticker is
// just above this line of screws") is neither, and cutting there lost the person's text.
const REPLY_WORD =
  /(?<!\p{L})(?:repl(?:y|ies|ying)|respon(?:d|se|ding)|answer|type|write|comment|antwort(?:en)?|schreiben|geben|r[ée]pon(?:dre|dez|se)|[ée]cri(?:re|vez)|tapez|saisi(?:r|ssez)|respon(?:da|der|de)|respuesta|escri(?:ba|bir|va)|rispo(?:ndi|ndere|sta)|scrivi|antwoord(?:en)?|typ|schrijf|resposta|digite|odpowied[zź]|odpisz|napisz|svar(?:a|e)?|skriv|vastaa|vastaus|kirjoita|ответ\p{L}*|пишите|напишите|введите)(?!\p{L})|返信|返答|回复|回覆|答复|답장|회신/iu;
export const FRAMED = /^[^\p{L}\p{N}\s]{2,}/u;
export const isReplyAboveMarker = (text: string): boolean =>
  text.length <= 200 && REPLY_ABOVE.test(text) && (FRAMED.test(text) || REPLY_WORD.test(text));
/** The marker's words somewhere in a line of any length. */
export const holdsReplyAboveMarker = (text: string): boolean => REPLY_ABOVE.test(text);

// 'other': rows Thunderbird's header table adds after the usual ones ("Organization:",
// "Newsgroups:", "Reply-To:"). They belong to a header block but never make one: a signature's
// "Organization:" line is no header.
export type HeaderField = 'from' | 'date' | 'to' | 'subject' | 'cc' | 'other';
// The labels of quoted header blocks, by field, in the languages mail clients write them in.
const HEADER_FIELDS: [HeaderField, string][] = [
  [
    'from',
    'from|von|de|de la|da|van|od|от|від кого|від|відправник|отправитель|expeditor(?:ul)?|gönderen|fra|frå|från|lähettäjä|feladó|kimden|afzender|afsender|avsändare|mittente|remitente|remetente|expéditeur|absender|nadawca|odesílatel|odosielateľ|pošiljatelj|šalje|nuo|no|saatja|από|من|מאת|dari|từ|发件人|寄件者|差出人|送信元|보낸 사람',
  ],
  [
    'date',
    'sent|date|datum|datums|päiväys|envoyé|enviado el|enviado|enviada|inviato|verzonden|verstuurd|wysłano|wysłany|wysłane|data|dată|dátum|отправлено|надіслано|дата|sendt|skickat|lähetetty|päivämäärä|gesendet|fecha|dato|elküldve|odesláno|odoslané|poslano|trimis|tarih|gönderildi|gönderilme|išsiųsta|nosūtīts|kuupäev|saadetud|ημερομηνία|στάλθηκε|التاريخ|تاريخ الإرسال|תאריך|נשלח|tanggal|terkirim|ngày|发送时间|日期|時間|送信日時|日付|날짜|보낸 날짜',
  ],
  [
    'to',
    'to|an|à|pour|a|para|aan|do|pre|adresat|za|кому|til|till|vastaanottaja|címzett|komu|odbiorca|kime|către|destinatar(?:ul)?|kam|saaja|prima|prejemnik|προς|إلى|אל|kepada|đến|收件人|宛先|送信先|받는 사람',
  ],
  [
    'subject',
    'subject|betreff|objet|oggetto|asunto|assunto|onderwerp|temat|тема|emne|ämne|aihe|tárgy|předmět|predmet|konu|subiect(?:ul)?|tēma|teema|naslov|zadeva|θέμα|الموضوع|נושא|perihal|subjek|chủ đề|主题|主旨|件名|제목|sujet',
  ],
  [
    'cc',
    'cc|copie à|kopie \\(cc\\)|kopie|kopia|kópia|cópia|kopija|kopi|dw|копия|копія|kopio|másolatot kap|másolat|bilgi|نسخة|עותק',
  ],
  [
    'other',
    'organi[sz]ation|organización|organizzazione|organisatie|organização|organizacja|organizace|organisasjon|organisaatio|организация|організація|newsgroups|newsgruppen|groupes de discussion|grupos de noticias|grupos de notícias|gruppi di discussione|nieuwsgroepen|grupy dyskusyjne|diskusní skupiny|diskussionsgrupper|nyhedsgrupper|nyhetsgrupper|keskusteluryhmät|группы новостей|групи новин|reply-to|antwort an|répondre à|responder a|rispondi a|antwoord aan|odpowiedź do|svara till|svar til|followup-to|references|referenzen|références|referencias',
  ],
];
// Something must follow the label's colon. (It was `\s*\**\s*\S`: the same lines, since `\S`
// takes a '*' too, but its two runs of spaces traded characters when nothing followed.)
const HEADER_LINE = HEADER_FIELDS.map(
  ([field, names]) =>
    [field, new RegExp(String.raw`^[*>\s]*(?:${names})\s*[:：]\s*\S`, 'iu')] as const,
);
// The same labels inside a line: Outlook's header rendered from HTML can arrive as one line
// ("From: A Sent: Tuesday … To: B Subject: C").
const INLINE_LABEL = HEADER_FIELDS.filter(([field]) => field !== 'from' && field !== 'other').map(
  ([field, names]) => [field, new RegExp(String.raw`\s(?:${names})\s*[:：]\s*\S`, 'iu')] as const,
);

// A header table rendered from HTML (Thunderbird's forward, a webmail's print view) may put each
// label on a line of its own and its value on the next ("Subject:" over "Printer").
const BARE_LABEL = HEADER_FIELDS.map(
  ([field, names]) =>
    [field, new RegExp(String.raw`^[*>\s]*(?:${names})\s*[:：][*\s]*$`, 'iu')] as const,
);

/** A line that is a header label alone, its value on the next line. */
export const isBareLabel = (text: string): boolean =>
  text.length <= 40 && BARE_LABEL.some(([, re]) => re.test(text));

// Yahoo Mail's HTML without line breaks renders its caption and the header under it as one line
// ("----- Forwarded Message ----- From: A <a@x> To: B <b@x> Sent: … Subject: X"). Such a line is a
// header line when a forward's caption is framed at its start and a "From:" label follows it; a
// sentence that only mentions the caption, or "From:" further on, is not (and the header still
// needs its other labels, on this line or the next, to count as a block). Read with plain string
// searches over the first 100 characters, so a hostile line costs one pass.
const FRAME_OPEN = /^[-_=]{2,}/;
const FRAME_RUN = /[-_=*]{2,}/;
const FROM_LINE = HEADER_LINE[0]?.[1] ?? /$^/;

/** The header after a framed forward caption at the start of `text`, or null. */
export function captionedHeader(text: string): string | null {
  const open = FRAME_OPEN.exec(text)?.[0].length ?? 0;
  if (open === 0) return null;
  const head = text.slice(open, open + 100);
  const close = head.search(FRAME_RUN);
  if (close < 1) return null;
  const caption = head.slice(0, close);
  if (!FORWARD_CAPTION.test(caption) && !ORIGINAL_MESSAGE.test(caption)) return null;
  const rest = text.slice(open + close).replace(/^[-_=*]+\s*/, '');
  return FROM_LINE.test(rest) ? rest : null;
}

/** The field a (cleaned) line labels, or null; the label sits in its first 40 characters. */
export function headerFieldOfClean(text: string): HeaderField | null {
  if (FRAME_OPEN.test(text)) return captionedHeader(text) !== null ? 'from' : null;
  const colon = text.search(/[:：]/);
  if (colon === -1 || colon > 40) return null;
  for (const [field, re] of HEADER_LINE) if (re.test(text)) return field;
  if (text.length <= 40) for (const [field, re] of BARE_LABEL) if (re.test(text)) return field;
  return null;
}

// Yahoo Mail writes a forward's header as one run with nothing between a value and the next label
// ("From: Jane <jane@example.com>To: Desk <desk@example.com>Sent: … GMT+1Subject: Printer"). Glued
// to the text before it, a label counts only as the client writes it, capitalised ("To:", "CC:"),
// so "photo:" or "Auto:" inside a value is no label.
const capitalised = (names: string): string =>
  names
    .split('|')
    .map((n) => `${n.charAt(0).toUpperCase()}${n.slice(1)}|${n.toUpperCase()}`)
    .join('|');
const GLUED_LABEL = HEADER_FIELDS.filter(([field]) => field !== 'from' && field !== 'other').map(
  ([field, names]) =>
    [field, new RegExp(String.raw`\S(?:${capitalised(names)})\s*[:：]\s*\S`, 'u')] as const,
);

/** A "From:" line that also holds two of the other labels: a whole header block on one line. */
export function isOneLineHeader(text: string): boolean {
  if (text.length > 1000) return false;
  const found = HEADER_FIELDS.map(([field]) => field).filter(
    (field) =>
      INLINE_LABEL.some(([f, re]) => f === field && re.test(text)) ||
      GLUED_LABEL.some(([f, re]) => f === field && re.test(text)),
  );
  return found.length >= 2 && (found.includes('date') || found.includes('subject'));
}

// "Wrote:" at a line end inside a paragraph is not enough: the line must open the way mail
// clients write attributions — with a preposition, a date, a name or an address.
export const PREPOSITION =
  /^(?:-{2,}\s*)?(?:on|le|am|el|il|op|em|den|på|w dniu|dnia|dne|pe|в|у|ma|el día|le jour|în|pada|vào|dňa|στις|في|ב|בתאריך|در)(?![\p{L}])/iu;
