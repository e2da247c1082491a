// Which mail of a round-8 reply set (issue #16) was never scored before. A case is left out when
// an earlier set holds its mail as a file (any line ends, surrounding blank space), or when the
// test source of an earlier set writes it inline: unquotemail copies talon's inline test mails
// into sample files, and scoring such a copy would read the talon case in another half. The
// inline check came after the split was fixed, so it drops cases from the fixed halves.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { ws } from './external-score.js';
import { findCorpus } from './run-corpus.js';

/** The folders the round-8 reply sets read (each `owner+name` under the external root). */
export const ROUND8_REPLY_SETS = [
  'KritikalFabric+corefabric.io',
  'mozilla-b2g+gaia-email-libs-and-more',
  'yourtempo+tempo-email-parser',
  'lever+planer',
  'getfernand+unquotemail',
];

const MAIL_FILE = /\.(txt|eml|msg|mbox|html?)$/i;
const TEST_SOURCE = /\.(py|rb|js|ts|coffee|java|cs|go|php|exs?|scala|kt|dart|rs)$/i;
// Lines this long are the mail's own (a greeting or a sign-off is too common to tell).
const DISTINCT_LINE = 30;
const LINES_COMPARED = 3;

const digest = (text: string): string =>
  createHash('sha1').update(text.replace(/\r\n/g, '\n').trim()).digest('hex');

const literalText = (l: string): string =>
  ws(l.replace(/\\(["'])/g, '$1').replace(/^[\s+,("'`]+|[\s+,);"'`]+$/g, ''));

/**
 * A test source's lines, split at escaped line breaks too, without the quotes around literals;
 * a line that opens a literal (`body = """Hello …`) also as the literal's text alone.
 */
const sourceLines = (src: string): string[] =>
  src
    .split(/\r?\n|\\n/)
    .flatMap((l) => {
      const open = l.search(/["'`]/);
      return open > 0 ? [literalText(l), literalText(l.slice(open))] : [literalText(l)];
    })
    .filter((l) => l.length >= DISTINCT_LINE);

interface Seen {
  files: Set<string>;
  inline: Set<string>;
}
const byRoot = new Map<string, Seen>();
function load(root: string, own: readonly string[]): Seen {
  const key = `${root}\n${own.join('\n')}`;
  const cached = byRoot.get(key);
  if (cached) return cached;
  const seenFiles = new Set<string>();
  const seenLines = new Set<string>();
  const walk = (dir: string, sources: boolean): void => {
    for (const n of readdirSync(dir)) {
      if (n.startsWith('.') || n === 'node_modules') continue;
      const p = path.join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, sources);
      else if (st.size >= 2_000_000) continue;
      else if (MAIL_FILE.test(n)) seenFiles.add(digest(readFileSync(p, 'utf8')));
      else if (sources && TEST_SOURCE.test(n))
        for (const l of sourceLines(readFileSync(p, 'utf8'))) seenLines.add(l);
    }
  };
  for (const d of readdirSync(root))
    if (!own.includes(d) && statSync(path.join(root, d)).isDirectory())
      walk(path.join(root, d), true);
  const shared = findCorpus();
  if ('dir' in shared && existsSync(shared.dir)) walk(shared.dir, false);
  const seen = { files: seenFiles, inline: seenLines };
  byRoot.set(key, seen);
  return seen;
}

/**
 * Mail (or a message's HTML) that no earlier set holds as a file; `own` names the folders of the
 * round being scored, whose files are not "earlier" (round 9 passes its own).
 */
export function unseen(
  root: string,
  text: string,
  own: readonly string[] = ROUND8_REPLY_SETS,
): boolean {
  return !load(root, own).files.has(digest(text));
}

/**
 * Mail an earlier set writes inline in its tests (its longest lines all there). Such a case is
 * dropped after the split, which stays as it was fixed on the cases unseen() lets through.
 */
export function writtenInline(
  root: string,
  text: string,
  own: readonly string[] = ROUND8_REPLY_SETS,
): boolean {
  const { inline } = load(root, own);
  const longest = text
    .split(/\r?\n/)
    .map(ws)
    .filter((l) => l.length >= DISTINCT_LINE)
    .sort((a, b) => b.length - a.length)
    .slice(0, LINES_COMPARED);
  return longest.length > 0 && longest.every((l) => inline.has(l));
}
