// Which mail of a round-7 set (issue #16) was never scored before: mail whose text is in
// ../shared/corpus or in any other fetched set is left out, so the round-7 figures are of unseen
// mail only (ports and parsers copy each other's fixtures).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { findCorpus } from './run-corpus.js';

/** The folders the round-7 sets read (each `owner+name` under the external root). */
export const ROUND7_SETS = [
  'Webklex+php-imap',
  'Polymail+go-falcon',
  'kvannotten+mailstrip',
  'clearfeed+email-reply-parser',
  't2bot+node-email-reply-parser',
  'thoughtbot+constable',
  'crisp-oss+email-bounce-parser',
];

/**
 * Folders of sets added after round 8. Their copies of older sets' mail do not take that mail out
 * of the older sets (which would change figures already reported); the later sets drop it instead.
 */
export const LATER_SETS = [
  'ikvk+imap_tools',
  'csirtgadgets+csirtg-mail-py',
  'emailjs+emailjs-mime-parser',
  'staktrace+mailparse',
];

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** The text of a file: UTF-8 when it is, else Latin-1 (a copy re-encoded to UTF-8 is not new). */
const textOf = (bytes: Buffer): string => {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
};

/** Line ends, surrounding blank space and the charset of the file do not make mail new. */
const digest = (mail: string | Buffer): string =>
  createHash('sha1')
    .update((typeof mail === 'string' ? mail : textOf(mail)).replace(/\r\n/g, '\n').trim())
    .digest('hex');

/**
 * Each digest `digestsOf` gives a mail file → the folders holding such a file (a set's
 * `owner+name`, or '' for ../shared/corpus).
 */
export function digestIndex(
  root: string,
  digestsOf: (mail: Buffer) => string[],
): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  const walk = (dir: string, folder: string): void => {
    for (const n of readdirSync(dir)) {
      if (n.startsWith('.') || n === 'node_modules') continue;
      const p = path.join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, folder);
      else if (/\.(txt|eml|msg|mbox)$/i.test(n) && st.size < 2_000_000)
        for (const d of digestsOf(readFileSync(p)))
          seen.set(d, (seen.get(d) ?? new Set()).add(folder));
    }
  };
  for (const d of readdirSync(root))
    if (statSync(path.join(root, d)).isDirectory()) walk(path.join(root, d), d);
  const shared = findCorpus();
  if ('dir' in shared && existsSync(shared.dir)) walk(shared.dir, '');
  return seen;
}

let known: Map<string, Set<string>> | null = null;
const knownMail = (root: string): Map<string, Set<string>> =>
  (known ??= digestIndex(root, (mail) => [digest(mail)]));

/**
 * Mail (a file's bytes or a test's text) that neither ../shared/corpus nor a set outside the
 * `excluded` folders (a round's own new sets) holds.
 */
export const unseenOutside = (
  root: string,
  excluded: readonly string[],
  mail: string | Buffer,
): boolean => [...(knownMail(root).get(digest(mail)) ?? [])].every((f) => excluded.includes(f));

/**
 * Mail (a file's bytes or a test's text) that neither ../shared/corpus nor another set holds;
 * `own` names the set's own folder (round 8 on), whose copies of the mail do not count.
 */
export const neverScored = (root: string, mail: string | Buffer, own?: string): boolean =>
  unseenOutside(root, [...ROUND7_SETS, ...LATER_SETS, ...(own === undefined ? [] : [own])], mail);
