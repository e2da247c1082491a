// Lotus Notes (HCL Notes) quotes the earlier message under a header of its own: the sender
// ("Jane Doe/ACME@ACME"), the date on the next line, then the labels To, cc and Subject each alone
// on a line above its value. No colon and no verb, so neither the header-block nor the
// attribution rules see it.

const DATE_TIME = /^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\s+\d{1,2}[:.]\d{2}/u;
const TO = /^(?:to|an|à|aan|para|a|til|till)$/iu;
const SUBJECT = /^(?:subject|betreff|objet|onderwerp|asunto|oggetto|assunto|emne|ämne)$/iu;
const WINDOW = 10;

/**
 * Index of the subject's value when a Notes header starts at `i` (`clean(k)` is line k trimmed),
 * or -1.
 */
export function notesHeaderEnd(clean: (k: number) => string, length: number, i: number): number {
  const sender = clean(i);
  if (sender.length > 120 || !/[@/]/.test(sender)) return -1;
  let k = i + 1;
  while (k < length && clean(k) === '') k++;
  if (k >= length || !DATE_TIME.test(clean(k))) return -1;
  let to = false;
  for (let j = k + 1; j < Math.min(length, k + WINDOW); j++) {
    const line = clean(j);
    if (TO.test(line)) to = true;
    else if (SUBJECT.test(line)) return to ? Math.min(j + 1, length - 1) : -1;
  }
  return -1;
}
