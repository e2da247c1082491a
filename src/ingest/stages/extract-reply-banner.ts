// The banner a receiving mail system puts above mail from outside the organisation ("CAUTION: This
// email originated from outside of the organization…", "[EXTERNAL] …", Microsoft's "You don't often
// get email from …"). The person did not write it; reply extraction drops it from the top.

// A warning label opening the paragraph, in the languages such gateways are configured in.
const LABEL =
  /^[\s*[(]*(?:caution|warning|attention|notice|external(?: email| sender| message)?|achtung|vorsicht|warnung|hinweis|extern|externe e-mail|let op|waarschuwing|precauci[óo]n|atenci[óo]n|aviso|advertencia|attenzione|avviso|uwaga|ostrzeżenie|varning|advarsel|varoitus|huomio|upozornění|figyelem|dikkat|uyarı|внимание|осторожно|увага|προσοχή|تنبيه|تحذير|אזהרה|perhatian|peringatan)(?![\p{L}])/iu;
// It says where the mail came from…
const OUTSIDE =
  /extern|outside|buiten|außerhalb|ausserhalb|fuera|ext[ée]rieur|estern|zewnętrz|utanför|utenfor|uden for|ulkopuol|mimo|kívül|dışında|вне |внешн|зовнішн|εξωτερ|خارج|מחוץ|luar/iu;
// …and that it is about the message, its sender, links or attachments.
const ABOUT_MAIL =
  /e-?mail|message|\bmail|courriel|correo|nachricht|bericht|sender|absender|afzender|expéditeur|remitente|mittente|organi[sz]ation|organisatie|organización|organizzazione|link|attachment|anhang|anhänge|bijlage|pièce|adjunto|allegat|wiadomoś|załącz|meddelande|bilag|viesti|zpráv|üzenet|ileti|сообщени|письм|повідомлен|μήνυμα|رسالة|הודעה|pesan|surel/iu;
// Microsoft's first-contact safety tip, which needs no label.
const FIRST_CONTACT =
  /^(?:you don'?t often get email from|sie erhalten nicht oft e-?mails? von|vous ne recevez pas souvent de courriers?|u ontvangt niet vaak e-?mail van|no recibe (?:a menudo )?correo|non ricevi spesso messaggi)/iu;

const MAX_LINES = 6;
const MAX_CHARS = 700;

/**
 * Index of the first line after a banner that opens `lines` (and the blank lines under it), or 0
 * when the text does not open with one.
 */
export function bannerEnd(lines: string[]): number {
  let first = 0;
  while (first < lines.length && (lines[first] ?? '').trim() === '') first++;
  const head = (lines[first] ?? '').trim();
  if (head === '' || head.length > MAX_CHARS) return 0;
  const labelled = LABEL.test(head);
  if (!labelled && !FIRST_CONTACT.test(head)) return 0;
  let end = first;
  let text = '';
  while (end < lines.length && (lines[end] ?? '').trim() !== '') {
    text += ` ${(lines[end] ?? '').trim()}`;
    end++;
    if (end - first > MAX_LINES || text.length > MAX_CHARS) return 0;
  }
  if (labelled && !(OUTSIDE.test(text) && ABOUT_MAIL.test(text))) return 0;
  while (end < lines.length && (lines[end] ?? '').trim() === '') end++;
  return end;
}
