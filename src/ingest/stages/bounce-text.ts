// Failed recipients of a plain-text bounce (the many MTAs that send no RFC 3464 part). Only the
// report above the returned message is read: below it sit the original's headers and body, whose
// addresses (the list, the sender, Message-ID fragments such as "mailman.123.4@list") are not
// recipients. An address counts when the report ties it to a failure: a status or SMTP code or a
// failure phrase in its paragraph, an "<addr>:" line (qmail, Postfix, Yahoo), or the paragraph after
// an "the following recipients" line. A report that only says it will keep trying is a delay.
import type { BounceRecipient } from '../types.js';
import {
  DELAY,
  FAILURE,
  INTRO,
  ORIGINAL_START,
  PERMANENT,
  says,
  WARNING_ONLY,
} from './bounce-words.js';

const MAX_RECIPIENTS = 100;
const STATUS = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const SMTP_REPLY = /(?:^|[\s(:"'#[])([245]\d\d)(?=[\s\-.:\]])/;
// A recipient's failure is told by a 4xx or 5xx code: in an SMTP transcript the "250 2.1.5" that
// accepted the RCPT comes before the "451 4.3.0" that refused the DATA.
const FAIL_STATUS = /\b([45])\.(\d{1,3})\.(\d{1,3})\b/;
const FAIL_REPLY = /(?:^|[\s(:"'#[])([45]\d\d)(?=[\s\-.:\]])/;
// Starts only where a run of address characters starts: tried at every position inside a long
// run, the scan is quadratic (a 80 kB line took 30 s).
const EMAIL =
  /(?<![A-Za-z0-9.!#$%&*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g;
const HEADER_START =
  /^(?:received|return-path|message-id|x-[\w-]+|dkim-signature|mime-version)\s*:/i;
const DSN_FIELD =
  /^(?:reporting-mta|final-recipient|original-recipient|arrival-date|received-from-mta|original-envelope-id|dsn-gateway)\s*:/i;
// Report lines that copy a field of the original message: their addresses are not recipients.
const QUOTED_FIELD =
  /^\s*(?:from|sender|reply-to|cc|subject|date|sent|message-id|references|in-reply-to|return-path|errors-to|list-[\w-]+|received|x-[\w-]+)\s*:/i;
const DAEMON = /^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon|root|nobody|abuse)@/i;

// A list's or sender's machinery, not a person: owner-x@, x-request@, x-bounces@ and their VERP
// forms (x-bounces+pat=example.net@lists.example.org, bounces+123-pat=example.net@mail.example).
const LIST_ROLE =
  /^(?:owner-|[^@]*-(?:request|owner|admin)(?:[+=][^@]*)?@|(?:[^@]*[-_.+])?bounces?(?:[-_.+=][^@]*)?@)/;

export interface TextBounceContext {
  /** The bounce's own From/To addresses and the returned message's From/Sender/list addresses. */
  exclude: Set<string>;
  /** Message-IDs of the bounce and the returned message: an id looks like an address. */
  messageIds: string[];
  /**
   * Old AOL bounces name a failed recipient by screen name alone ("jdoe123"): the domain the
   * report's sender stands for, or null when a bare word is never an address.
   */
  bareNameDomain?: string | null;
  /**
   * To and Cc of the returned message: a postmaster address named alone on a report line is a
   * recipient when the message was sent to it (otherwise it is the reporting side's own).
   */
  originalTo?: Set<string>;
  /**
   * The report's own subject says the delivery failed ("Delivery Status Notification (Failure)",
   * "Undelivered Mail Returned to Sender"): a report naming nobody in words that say so still
   * failed the one address its returned copy went to.
   */
  subjectSaysFailure?: boolean;
}

// Words that tie an address to its fate: a failure, or a warning that it is not delivered yet.
const tells = (text: string): boolean => says(FAILURE, text) || says(WARNING_ONLY, text);

/** A line as written, without the "> " marks of a forwarded or quoted copy. */
const unquoted = (line: string): string => line.replace(/^\s*(?:>\s?)+/, '');

/** The report part of a bounce text: everything above the copy of the returned message. */
export function reportRegion(text: string): string[] {
  const lines = text.split(/\r?\n/);
  let dsnFields = false;
  for (let i = 0; i < lines.length; i++) {
    const line = unquoted(lines[i]!);
    // A line longer than SMTP allows (1000 octets) is no MTA's caption; ORIGINAL_START backtracks
    // quadratically on a long run of dashes, and a base64 report decodes to lines of any length.
    if (line.length <= 1000 && ORIGINAL_START.test(line)) return lines.slice(0, i);
    // A pasted DSN's fields run on with extension fields (X-Postfix-Queue-ID, X-Postfix-Sender)
    // that look like a returned message's headers; the block is still the report.
    if (line.trim() === '') dsnFields = false;
    else if (DSN_FIELD.test(line)) dsnFields = true;
    // A header block (two header lines in a row) is a returned message pasted without a caption.
    if (
      !dsnFields &&
      HEADER_START.test(line) &&
      i > 0 &&
      HEADER_START.test(unquoted(lines[i + 1] ?? ''))
    )
      return lines.slice(0, i);
  }
  return lines;
}

/**
 * Sendmail names a recipient under a caption and gives its reason in the session transcript below
 * ("<pat@example.org>... Deferred: Connection timed out"): the line where the address is followed
 * by "..." or ":" and words, or null.
 */
export function transcriptLine(lines: string[], address: string): string | null {
  const line = lines.find((l) => {
    const at = l.toLowerCase().indexOf(address);
    return at >= 0 && /^>?\s*(?:\.\.\.|:)\s*\S/.test(l.slice(at + address.length));
  });
  return line ? line.trim().slice(0, 500) : null;
}

const CAPTION = /^[-=_*]{3,}.*[-=_*]{3,}$/;

/**
 * The report's own words for a recipient: the first line of its paragraph giving the server's
 * code (enhanced status, else SMTP reply), else the first giving a reason.
 */
export function diagnosticOf(paragraph: string): string | null {
  const lines = paragraph
    .split(/\r?\n/)
    .map((l) => l.trim())
    // A line longer than SMTP allows (1000 octets) is no server's answer.
    .filter((l) => l.length <= 1000 && l.replace(EMAIL, '').replace(/[<>:"'\s]/g, '') !== '')
    // A section caption ("----- The following addresses had transient non-fatal errors -----")
    // is the report's heading, not what happened to the recipient.
    .filter((l) => !CAPTION.test(l));
  const line =
    lines.find((l) => FAIL_STATUS.test(l)) ??
    lines.find((l) => FAIL_REPLY.test(l)) ??
    lines.find((l) => STATUS.test(l)) ??
    lines.find((l) => SMTP_REPLY.test(l)) ??
    lines.find(tells);
  return line ? line.slice(0, 500) : null;
}

// An SMTP reply quoting its enhanced code ("550 5.2.2 mailbox full", "550-5.1.1 ...", and as
// Exchange quotes it, "550-'5.4.1 ...'").
const ANSWER = /(?:^|[\s(:;"'#[])[245]\d\d[ -]['"]?([245]\.\d{1,3}\.\d{1,3})\b/;

/**
 * The more specific of a reporting MTA's own status and the remote server's answer it quotes. An MTA
 * that writes X.Y.0 ("other or undefined" status of its subject, RFC 3463: X.0.0, "5.1.0 Unknown
 * address error", Exchange 2003's "#5.5.0 smtp;550 5.2.2 ...") says only that the server refused;
 * the server's own code of the same class says why. A code of another class is a different event
 * (a 250 that accepted the RCPT).
 */
export function refineStatus(status: string, text: string | null): string {
  if (text === null || !/^[45]\.\d{1,3}\.0$/.test(status)) return status;
  const answer = ANSWER.exec(text)?.[1];
  return answer !== undefined && answer[0] === status[0] ? answer : status;
}

// Some MTAs print the address with its type ("smtp;jane@example.com", "SMTP=jane@example.com").
export const cleanAddress = (a: string): string =>
  a
    .replace(/^['".]+|['".]+$/g, '')
    .replace(/^(?:smtp|rfc822|mailto)\s*[=;:]\s*/i, '')
    .toLowerCase();
// An AOL screen name on a line of its own: letters, digits and underscores (never a dot: "Hi." is not one).
const SCREEN_NAME = /^\s*<?([A-Za-z][A-Za-z0-9_]{2,31})>?\s*:?\s*$/;

/** Failed (or delayed) recipients named in a plain-text report. */
export function recipientsFromReport(text: string, ctx: TextBounceContext): BounceRecipient[] {
  const region = reportRegion(text.slice(0, 256 * 1024));
  const ids = ctx.messageIds.map((id) => id.toLowerCase());
  const skip = (a: string, keyed = false): boolean =>
    ctx.exclude.has(a) ||
    (DAEMON.test(a) && !(keyed && ctx.originalTo?.has(a))) ||
    ids.some((id) => id === a || id.endsWith(a) || a.endsWith(id)) ||
    LIST_ROLE.test(a);
  // Paragraphs as line ranges, so an intro line can reach the paragraph below it.
  const paragraphs: string[][] = [[]];
  for (const line of region) {
    if (line.trim() === '') {
      if (paragraphs.at(-1)!.length > 0) paragraphs.push([]);
    } else paragraphs.at(-1)!.push(line);
  }
  const whole = region.join('\n');
  // A warning that says so outweighs failure words ("could not be delivered for 4 hours").
  const delayed = says(WARNING_ONLY, whole) || (says(DELAY, whole) && !says(PERMANENT, whole));
  // Sendmail and Exim name the alias target first and the address that was sent to below it
  // ("x@host\n    (expanded from: y@domain)", "x@host\n    (generated from y@domain)"): the sender
  // knows the recipient as the second (when Exim hides the target, "an undisclosed address", the
  // second is the only address and needs no mapping).
  // The lookahead (the address runs to '>' or ')') only says early what the match needs anyway:
  // without it a long "(expanded from: @@@…" with no ')' backtracked quadratically.
  const expandedFrom = new Map<string, string>();
  for (const m of whole.matchAll(
    /(?<![^\s<>])<?([^\s<>@]+@[^\s<>@]+?)>?[ \t]*\n[ \t>]*\((?:expanded|generated) from:?\s*<?(?=[^\s<>()]*>?\))([^\s<>()]+@[^\s<>()]+?)>?\)/gi,
  ))
    expandedFrom.set(cleanAddress(m[1]!), cleanAddress(m[2]!));
  const found = new Map<string, BounceRecipient>();
  const add = (addr: string, context: string, keyed = false) => {
    const a = expandedFrom.get(cleanAddress(addr)) ?? cleanAddress(addr);
    if (skip(a, keyed) || found.has(a) || found.size >= MAX_RECIPIENTS) return;
    const code = FAIL_STATUS.exec(context)?.[0];
    const status = code === undefined ? null : refineStatus(code, context);
    const reply = FAIL_REPLY.exec(context)?.[1] ?? null;
    const hard = delayed
      ? false
      : status
        ? status.startsWith('5')
        : reply
          ? reply.startsWith('5')
          : true;
    found.set(a, {
      address: a,
      action: delayed ? 'delayed' : 'failed',
      status,
      hard,
      diagnostic: diagnosticOf(context),
    });
  };
  // "not accepting mail from <addr>": an address right after "from" is the sender.
  const candidates = (line: string): string[] =>
    (line.match(EMAIL) ?? []).filter(
      (a) => !/\bmail from:?\s*[<"']?$/i.test(line.slice(0, line.indexOf(a))),
    );
  // "<addr>:" or "addr:" opening a line, or an SMTP "RCPT TO:<addr>", names a recipient whose
  // reason follows. (Within SMTP's 1000 octets: the first two patterns are quadratic on a long
  // line of '@'.)
  const keyedLine = (line: string): boolean =>
    (line.length <= 1000 &&
      (/^\s*<?[^\s<>]+@[^\s<>]+>?\s*:?\s*$/.test(line) ||
        /^\s*<[^\s<>]+@[^\s<>]+>\s*:/.test(line))) ||
    /\brcpt to:\s*<?[^\s<>]+@/i.test(line);
  let introAbove = false;
  for (const para of paragraphs) {
    // A copied field and its folded continuation lines carry the original's parties, not recipients.
    // A continuation is indented deeper than its field: in an indented SMTP transcript
    // ("     FROM:<x>" then " Out: 250 ...") the next shallower line is the transcript again.
    let inField = false;
    let fieldIndent = 0;
    const indent = (l: string) => /^[ \t]*/.exec(l)![0].length;
    const usable = para.filter((l) => {
      if (QUOTED_FIELD.test(l)) {
        inField = !/^\s*to\s*:/i.test(l);
        fieldIndent = indent(l);
      } else inField = inField && indent(l) > fieldIndent;
      return !inField;
    });
    const text = usable.join('\n');
    const hasIntro = says(INTRO, text);
    const coded = hasIntro || introAbove || STATUS.test(text) || SMTP_REPLY.test(text);
    const evidence = coded || tells(text);
    // One "(generated from x@y)" in a paragraph: every address there (the target, an SMTP
    // "RCPT TO:" naming it) stands for x@y, the address the sender wrote.
    const sources = new Set(
      [
        ...text.matchAll(
          /\((?:expanded|generated) from:?\s*<?(?=[^\s<>()]*>?\))([^\s<>()]+@[^\s<>()]+?)>?\)/gi,
        ),
      ].map((m) => cleanAddress(m[1]!)),
    );
    const alias = sources.size === 1 ? [...sources][0]! : null;
    // Each recipient's own lines: from its line to the next line naming another recipient (Exim
    // and OpenSMTPD list several recipients in one paragraph, each with its own code). The sender
    // an SMTP error quotes ("after MAIL FROM:<x>") and the report's own parties are no recipient.
    const keyOf = (l: string): string | null => {
      const first = candidates(l).find((a) => !skip(cleanAddress(a), true));
      if (!first) return null;
      return alias ?? expandedFrom.get(cleanAddress(first)) ?? cleanAddress(first);
    };
    // Postfix folds the server's answer under "<rcpt>: host H said: 550": an address on those
    // deeper-indented lines is the server's echo of the recipient (an alias, a rewritten form),
    // not another recipient, and the code there is this recipient's.
    const answer = usable.map(() => false);
    for (const [i, line] of usable.entries())
      if (keyedLine(line) && /\bsaid:/i.test(line))
        for (let j = i + 1; j < usable.length && indent(usable[j]!) > indent(line); j++)
          answer[j] = true;
    const keys = usable.map((l, i) => (answer[i] ? null : keyOf(l)));
    // Lines above the paragraph's first recipient speak for all of them ("550 5.1.1 unknown:").
    const firstKeyed = keys.findIndex((k) => k !== null);
    const preamble = firstKeyed > 0 ? usable.slice(0, firstKeyed) : [];
    const alone = new Set(keys.filter((k) => k !== null)).size <= 1;
    const contextAt = (i: number): string => {
      const own = keys[i] ?? null;
      let j = i + 1;
      while (j < usable.length && [null, own].includes(keys[j] ?? null)) j++;
      const segment = usable.slice(i, j).join('\n');
      if (STATUS.test(segment) || SMTP_REPLY.test(segment)) return segment;
      // A code elsewhere in the paragraph is this recipient's only when it names no other one:
      // in a list of failed addresses each reason sits under its own address.
      return alone ? text : [...preamble, ...usable.slice(i, j)].join('\n');
    };
    // Prose with only a failure phrase ("The address ..., x@y, did not match ...; the standard
    // form is name@y"): only the sentences holding the phrase name recipients.
    const failing = coded
      ? null
      : new Set(
          text
            .replace(/\s+/g, ' ')
            .split(/(?<=[.!?])\s+(?=[A-Z])/)
            .filter(tells)
            .flatMap((sentence) => sentence.match(EMAIL) ?? []),
        );
    for (const [i, line] of usable.entries()) {
      if (answer[i]) continue;
      const lineAddrs = candidates(line);
      const screenName = ctx.bareNameDomain ? SCREEN_NAME.exec(line)?.[1] : undefined;
      if (lineAddrs.length === 0 && screenName && (introAbove || hasIntro) && evidence)
        add(`${screenName}@${ctx.bareNameDomain}`, text);
      if (lineAddrs.length === 0) continue;
      if (keyedLine(line)) for (const a of lineAddrs) add(alias ?? a, contextAt(i), true);
      else if (evidence)
        for (const a of lineAddrs)
          if (failing === null || failing.has(a)) add(alias ?? a, contextAt(i));
    }
    introAbove =
      hasIntro && usable.every((l) => (l.match(EMAIL) ?? []).every((a) => skip(cleanAddress(a))));
  }
  // A code given elsewhere: another paragraph naming the address, or the one right below it
  // ("<addr>:" then a blank line then the server's answer).
  const texts = paragraphs.map((p) => p.join('\n'));
  const lower = texts.map((t) => t.toLowerCase());
  // A paragraph naming other recipients too holds their codes, not this one's.
  const namesOnly = (t: number, address: string) =>
    [...found.keys()].every((a) => a === address || !lower[t]!.includes(a));
  for (const r of found.values()) {
    if (r.status !== null) continue;
    const at = texts.findIndex(
      (t, n) => lower[n]!.includes(r.address) && FAIL_STATUS.test(t) && namesOnly(n, r.address),
    );
    const own = lower.findIndex((t) => t.includes(r.address));
    const below =
      own >= 0 && FAIL_STATUS.test(texts[own + 1] ?? '') && !EMAIL.test(texts[own + 1] ?? '')
        ? own + 1
        : -1;
    EMAIL.lastIndex = 0;
    // A report about one recipient may give the server's answer anywhere in it (Gmail: the
    // address, a help link, then "The response from the remote server was:" and the code).
    const anywhere =
      found.size === 1
        ? texts.findIndex(
            (t) =>
              FAIL_STATUS.test(t) &&
              (t.match(EMAIL) ?? []).every((a) => cleanAddress(a) === r.address),
          )
        : -1;
    const source =
      at >= 0 ? texts[at]! : below >= 0 ? texts[below]! : anywhere >= 0 ? texts[anywhere]! : null;
    if (source === null) continue;
    r.status = refineStatus(FAIL_STATUS.exec(source)![0], source);
    if (!delayed) r.hard = r.status.startsWith('5');
    // The line giving the code is the server's answer: it says more than a phrase such as
    // Gmail's "Your message to x has been blocked" above it.
    if (r.diagnostic === null || !FAIL_REPLY.test(r.diagnostic))
      r.diagnostic = diagnosticOf(source) ?? r.diagnostic;
  }
  // Lotus Domino gives the reason as its own paragraph under a "because:" line.
  const because = texts.findIndex((t) => /(?:^|\n)[ \t]*because:?[ \t]*$/i.test(t));
  const reason = because >= 0 ? texts[because + 1]?.trim().split('\n')[0] : undefined;
  if (reason && found.size === 1) for (const r of found.values()) r.diagnostic ??= reason;
  for (const r of found.values()) r.diagnostic ??= transcriptLine(region, r.address);
  // A report that names nobody (an MMS gateway's "could not be delivered to mobile", an NDR giving
  // only a display name, a DSN whose status part is empty) failed the one address the returned
  // copy was sent to, if it has one. A copy the sender also sent to itself (Cc to self) has one:
  // the sender is who the report went back to, not who failed.
  const sentTo = [...new Set([...(ctx.originalTo ?? [])].map((a) => cleanAddress(a)))];
  const others = sentTo.filter((a) => !ctx.exclude.has(a));
  const sole = others.length > 0 ? others : sentTo;
  const failed = tells(whole) || FAIL_STATUS.test(whole) || ctx.subjectSaysFailure === true;
  if (found.size === 0 && sole.length === 1 && failed) add(sole[0]!, whole);
  return [...found.values()];
}
