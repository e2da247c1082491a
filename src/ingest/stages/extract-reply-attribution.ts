// Attribution lines above a quote ("On Mon, 1 Jan 2024, Jane <jane@example.com> wrote:"), also
// wrapped over up to four lines, date-first without a verb, webmail's "Quoting …:" and glued to the
// end of the person's last sentence. Split from extract-reply.ts.
import { isQuoteLine, Lines, quoteFollows, unwrap } from './extract-reply-lines.js';
import {
  ATTRIBUTION,
  FRAMED,
  hasVerb,
  isReplyAboveMarker,
  PREPOSITION,
  WROTE,
} from './extract-reply-vocab.js';
import { clean } from './reply-signature.js';

// What may follow the verb: nothing, an address, or a name — capitalised (checked
// case-sensitively) or in a script without case (Arabic, Hebrew, CJK).
// German and Dutch put the date after the verb: "… schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:";
// Outlook in Finnish and Norwegian names the sender first and ends with the date ("Jane
// <jane@example.com> kirjoitti 2.3.2026 kello 9.14:", "… skrev følgende den 2. mars 2026 09:14:").
const AFTER_VERB =
  /^\s*(?:.*@.*|["'<]?[\p{Lu}\p{Lo}].*|(?:følgende\s+)?(?:am|on|op|le|el|il|den|em)\s.*\d.*|\d.*)$/u;
const NAME = String.raw`["']?[\p{Lu}][\p{L}'.-]*(?:\s+[\p{Lu}][\p{L}'.-]*){0,3}["']?`;
const NAME_WROTE = new RegExp(String.raw`^${NAME}\s+${WROTE}\s*:\s*$`, 'u');
// A list or forum relaying the sender ("Jane Roe via Discourse Meta wrote:") names itself: as
// specific as a dated attribution.
const NAME_VIA_WROTE = new RegExp(String.raw`^${NAME}\s+via\s+\S.{0,60}?\s+${WROTE}\s*:\s*$`, 'u');
// "Jane Doe wrote on 2024-01-02:": the date after the verb makes it as specific as "On …, Jane wrote:".
const NAME_WROTE_DATED = new RegExp(
  String.raw`^${NAME}\s+${WROTE}\s+(?:on|am|le|el|il|op|em|den)\s.{0,60}\d.{0,60}:\s*$`,
  'u',
);
// Speech verbs are everyday words ("On Monday the technician said:"); an attribution with one
// is read only when it names a date and a time, as clients write them.
const SAID =
  /^(?:on|le)\s(?=.{0,200}\d{1,2}[:.h]\d{2})(?=.{0,200}\d{4}).{1,300}\s(?:said|says|sent|nous a dit)\s*[:：]\s*$/iu;
// Webmail (Horde, SquirrelMail) introduces a quote with "Quoting Jane <jane@example.com>:".
const QUOTING =
  /^(?:quoting|zitat von|citando|citant|citation de|cytuję|cytat|idézet|citerer|citerar)\s.{1,200}[:：]\s*$/iu;
// Forums and notification mail introduce a quoted post with who posted it and when ("Posted by
// Jane Roe on 1 Jan 2024 10:00", "Posted on 1 Jan 2024 by Jane Roe", "Publié par … le …"). As prose
// the words are common, so the line counts only over a quote.
const POSTED =
  /^(?:posted|written|submitted|publi[ée]e?|gepostet|veröffentlicht|publicad[oa]|pubblicat[oa]|geplaatst|opublikowan[ya])\s(?:(?:by|par|von|por|da|door|przez)\s.{1,100}?\s(?:on|at|le|am|el|il|op|em|w dniu|dnia)\s.{0,80}\d|(?:on|at|le|am|el|il|op|em|w dniu|dnia)\s.{0,80}\d.{0,80}?\s(?:by|par|von|por|da|door|przez)\s).{0,100}$/iu;
// Gmail in some locales: "2013/11/1 Jane Roe <jane@example.com>" with no colon, over a quote.
const DATED_ADDRESS = /^\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}\b.{0,200}<[^<>\s]+@[^<>\s]+>\s*$/u;
// The same with a bare address ("02.01.2024 10:00, Jane jane@example.com"), as talon splits.
const DATED_BARE_ADDRESS =
  /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b.{0,200}\s[^\s<>@]+@[^\s<>@]+\.\w+\s*$/u;
// Gmail in some locales with the address left out: "2024-01-02 10:00 GMT+01:00 Jane Roe", over a quote.
const ISO_DATED_NAME =
  /^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2} GMT[+-]\d{1,2}:\d{2} \p{L}[\p{L}\p{M} .'-]{0,80}$/u;
// Date-first headers without a verb (Gmail in some locales, Yandex, Mail.ru): "<date>, <name> <addr>:"
const DATED_ADDRESS_COLON =
  /^.{0,200}(?:\d{1,2}[:.]\d{2}|\d{4}).{0,200}(?:<[^<>\s]+@[^<>\s]+>|\S+@\S+\.\w+)\s*:\s*$/u;
// The same with both a time and a year is specific enough to stand without a quote block below.
const DATED_TIMED_ADDRESS_COLON =
  /^(?=.{0,200}\d{1,2}[:.]\d{2}(?!\d|[./-]\d))(?=.{0,200}(?:\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2}))(?!\s*(?:from|to|cc|subject|date|sent)\s*:).{0,300}<[^<>\s]+@[^<>\s]+>\s*:\s*$/iu;

// The last piece of a wrapped attribution that looks like a quote line ("> wrote:", ">", "> :").
// One run of spaces before the colon and one after it: `(?:\p{L}+\s*)?[:：]?\s*$` matches the same
// lines but lets two runs of spaces trade characters, quadratic on a '>' line of tabs.
export const QUOTED_VERB_TAIL = /^>\s*(?:\p{L}+\s*)?(?:[:：]\s*)?$/u;

/** Index where an attribution spanning up to three wrapped lines starting at `i` ends, or -1. */
export function attributionEnd(lines: Lines, i: number): number {
  const first = unwrap(lines.clean(i));
  if (first === '' || isQuoteLine(first) || first.length > 400) return -1;
  let joined = first;
  let last = first;
  let verb = lines.hasVerb(i);
  let blanks = 0;
  for (let j = i; j < Math.min(lines.length, i + 4 + blanks); j++) {
    if (j > i) {
      const next = unwrap(lines.clean(j));
      // Gmail wraps "On … Name\n\n<\nmailto:…>\n> wrote:": one blank line inside an attribution
      // that opened with its preposition is allowed, and the last piece may look like a quote marker.
      if (next === '' && blanks === 0 && PREPOSITION.test(first) && !verb) {
        blanks++;
        continue;
      }
      if (next === '' || (isQuoteLine(next) && !QUOTED_VERB_TAIL.test(next))) return -1;
      // A sentence above an attribution is not part of it ("Send it to jane@example.com please."
      // then "On Mon, … wrote:"): the attribution is found when the scan reaches its own line.
      // The same holds for a line that merely opens like one ("Il est …" above "Le mar. … a écrit :"):
      // a next line that opens with a preposition and holds the verb itself is its own attribution.
      if (PREPOSITION.test(next) && (!PREPOSITION.test(first) || (!verb && lines.hasVerb(j))))
        return -1;
      // Likewise a line that opens with its date under one that opens no attribution ("The new
      // password works." over "пн, 1 янв. 2024 г. в 10:00, Agent <agent@example.com>:"), when it
      // is an attribution on its own: joined, the sentence went with the quote.
      if (DATE_FIRST.test(next) && !opensLikeAttribution(first) && attributionEnd(lines, j) !== -1)
        return -1;
      // A verb in the joined text sits in one line or spans the joining space ("a" + "écrit");
      // such a verb is at most 10 characters, so the ends of the two lines cover it.
      verb ||= lines.hasVerb(j) || hasVerb(`${last.slice(-20)} ${next.slice(0, 20)}`);
      // "Name <" + "addr>:" wraps inside the angle brackets.
      joined += (last.endsWith('<') || next.startsWith('>') ? '' : ' ') + next;
      last = next;
    }
    const m = verb ? ATTRIBUTION.exec(joined) : null;
    if (m !== null && (m[1] === undefined || AFTER_VERB.test(m[1]))) {
      const strength = attributionOpening(first);
      // A bare "Someone wrote:" is common prose; it needs the quote block below to count.
      if (strength === 'strong' || (strength === 'weak' && quoteFollows(lines.raw, j + 1)))
        return continued(lines, j);
    }
    if (last.endsWith(':') && SAID.test(joined)) return j;
    if (j === i && QUOTING.test(first) && (first.includes('@') || quoteFollows(lines.raw, i + 1)))
      return i;
    if (
      last.endsWith('>') &&
      joined.length <= 600 &&
      quoteFollows(lines.raw, j + 1) &&
      DATED_ADDRESS.test(joined)
    )
      return j;
    if (j === i && ISO_DATED_NAME.test(joined) && quoteFollows(lines.raw, j + 1)) return j;
    if (j === i && first.length <= 300 && POSTED.test(first) && quoteFollows(lines.raw, j + 1))
      return j;
    if (
      j === i &&
      joined.length <= 300 &&
      /@[^\s@]+\.\w+\s*$/u.test(last) &&
      quoteFollows(lines.raw, j + 1) &&
      DATED_BARE_ADDRESS.test(joined)
    )
      return j;
    // Both patterns end in ':' and an address, and backtrack heavily; most lines do not end in ':'
    // at all. The joined text ends in its last (trimmed, non-empty) line. Their address may be of
    // any length, so on a long line of '@' and ':' they backtracked cubically (a 2,000-character
    // line took 0.4 s, 8,000 took 9 s): like DATED_ADDRESS, only a header-sized text is read.
    if (last.endsWith(':') && joined.includes('@') && joined.length <= 600) {
      if (DATED_TIMED_ADDRESS_COLON.test(joined)) return j;
      if (DATED_ADDRESS_COLON.test(joined) && quoteFollows(lines.raw, j + 1)) return j;
    }
  }
  return -1;
}

// A date, or a weekday and then a date ("Mon, 1 Jan", "пн, 1 янв.", "man. 1. jan."), opens the line.
const DATE_FIRST = /^(?:\d|\p{L}{2,12}\.?,?\s+\d)/u;
const opensLikeAttribution = (line: string): boolean =>
  PREPOSITION.test(line) || DATE_FIRST.test(line);

// Android's "---- Jane Roe wrote ----": the dashes on both sides are the client's framing.
const DASH_FRAMED = /^-{2,}\s.*\s-{2,}\s*$/u;

function attributionOpening(firstLine: string): 'strong' | 'weak' | null {
  if (PREPOSITION.test(firstLine) || DASH_FRAMED.test(firstLine)) return 'strong';
  if (DATE_FIRST.test(firstLine) || /@|<[^<>]+>|\d{1,2}[:.]\d{2}/u.test(firstLine)) return 'strong';
  if (NAME_WROTE_DATED.test(firstLine) || NAME_VIA_WROTE.test(firstLine)) return 'strong';
  return NAME_WROTE.test(firstLine) ? 'weak' : null;
}

/**
 * `j`, or the line under it when an attribution that ended with its verb goes on with the sender
 * ("Op di 2 jan. 2024 om 10:00 schreef" / "Agent <agent@example.com>:").
 */
function continued(lines: Lines, j: number): number {
  if (lines.clean(j).endsWith(':') || j + 1 >= lines.length) return j;
  const next = lines.clean(j + 1);
  return next.length <= 200 && !isQuoteLine(next) && /[:：]$/.test(next) && /@|</.test(next)
    ? j + 1
    : j;
}

// A sentence, then an attribution on the same line: "Works now, thanks. On Mon, … wrote:".
const GLUED_ATTRIBUTION = /^(.*?\S[.!?…)])[ \t]+((?:on|le|am|el|il|op|em)\s.*\d.*\S)\s*$/iu;
// Without the sentence's end ("Thanks On Tue, 2 Jan 2024 …, agent@example.com wrote:") only a
// capitalised preposition in mid-line says where the attribution opens.
const GLUED_CAPITALISED = /^(.*?[\p{L}\p{N}]\S*)[ \t]+((?:On|Le|Am|El|Il|Op|Em)\s.*\d.*\S)\s*$/u;

// The end of a sentence (or of a clause ending in ':') in a line, followed by white space.
const SENTENCE_END = /[.!?…:)](?=\s+\S)/gu;
const SENTENCE_END_ANY = /[.!?…:)]\s+\S/u;

/**
 * A helpdesk's "reply above this line" marker that a flattened mail (text rendered from HTML, a
 * gateway that joins lines) glued to the end of the person's text: the text before it, up to the
 * end of a sentence, is theirs. Only a framed tail that is a marker on its own is split off.
 */
function splitGluedMarker(line: string): [string, string] | null {
  let cut = -1;
  for (const m of line.matchAll(SENTENCE_END)) {
    const rest = line.slice(m.index + 1).trim();
    if (rest.length > 200) continue;
    if (!isReplyAboveMarker(rest)) break;
    // Helpdesks frame the marker ("##- … -##", "-- … --"); a sentence that only mentions the
    // words at the end of a long paragraph is not one.
    if (!FRAMED.test(rest)) continue;
    // A label ("NOTE: Please reply above this line") is the marker's own; a clause ending in ':'
    // is text only when it is an attribution ("… wrote:").
    const head = line.slice(0, m.index + 1);
    if (!head.endsWith(':') || hasVerb(clean(head))) cut = m.index + 1;
  }
  return cut === -1 ? null : [line.slice(0, cut), line.slice(cut).trim()];
}

/**
 * Some clients (and text rendered from HTML) put the attribution at the end of the person's last
 * line. Where the tail of a line is an attribution on its own, opens after the end of a sentence
 * and a quote follows, it gets its own line, so the quote is found and the sentence kept. A glued
 * "reply above this line" marker is split off first and counts as the quote. Returns `input`
 * itself when no line was split (its cached line facts stay good). `mayHoldMarker` false (no
 * marker anywhere in the text, found in one scan of it) spares the per-line look for one.
 */
export function splitGluedAttributions(input: Lines, mayHoldMarker = true): Lines {
  let lines = input;
  // The text split off before a marker: a quoted part follows it as surely as a quote.
  const heads = new Set<number>();
  // A split needs a sentence end before the marker; the cheap test spares most lines the other.
  const candidate = (i: number) => SENTENCE_END_ANY.test(input.at(i)) && input.holdsMarker(i);
  if (mayHoldMarker && input.raw.some((_, i) => candidate(i))) {
    const split: string[] = [];
    input.raw.forEach((line, i) => {
      const parts = candidate(i) && !isQuoteLine(line) ? splitGluedMarker(line) : null;
      if (parts) heads.add(split.length);
      split.push(...(parts ?? [line]));
    });
    if (heads.size > 0) lines = new Lines(split);
  }
  const raw = lines.raw;
  let out: string[] | null = null;
  // Most lines have no quote under them, so the verb scan (the costly test) runs last.
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i] ?? '';
    const m =
      line.length <= 600 &&
      !isQuoteLine(line) &&
      (quoteFollows(raw, i + 1) || heads.has(i)) &&
      hasVerb(line)
        ? (GLUED_ATTRIBUTION.exec(line) ?? GLUED_CAPITALISED.exec(line))
        : null;
    if (m && attributionEnd(new Lines([m[2]!]), 0) === 0) {
      out ??= raw.slice(0, i);
      out.push(m[1]!, m[2]!);
    } else out?.push(line);
  }
  return out === null ? lines : new Lines(out);
}
