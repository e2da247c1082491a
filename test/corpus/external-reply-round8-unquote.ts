// getfernand/unquotemail (Python, MIT), added in round 8 of issue #16 after the other round-8
// sets: tests/samples/NAME (.txt or .html) against tests/expecteds/NAME, what Unquote's get_text()
// or get_html() returns. Many samples are copies of talon's and GitHub's fixtures, which earlier
// sets score; only a sample no earlier set holds is a case (unseen()). Samples the project moved
// to samples/failing/ (its own parser does not yet meet them) keep their expected file and are
// cases too: the expectation is the project's statement of the visible text, not its parser's
// output. Unquote removes the quote and keeps the signature, so `replyWithSignature` is compared
// (HTML: Inlet's of the sanitised sample with the expected HTML rendered as prepare does).
// Cases are keyed by file name, sorted and split once, first half tune (firstHalf), fixed in this
// file before any was scored.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { extractReply, extractReplyFromHtml } from '../../src/ingest/stages/extract-reply.js';
import { htmlToText } from '../../src/ingest/stages/html-to-text.js';
import { sanitized, withSignatureDivergence } from './external-reply-round8-html.js';
import { unseen, writtenInline } from './external-reply-round8-seen.js';
import {
  type FieldScore,
  firstHalf,
  type Role,
  score,
  type SetReport,
  ws,
} from './external-score.js';

interface Case {
  key: string;
  mail: string;
  want: string;
  html: boolean;
}

function unquoteCases(root: string): Case[] {
  const dir = path.join(root, 'getfernand+unquotemail/tests');
  const out: Case[] = [];
  for (const sub of ['samples', 'samples/failing']) {
    const from = path.join(dir, sub);
    if (!existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      const file = path.join(from, name);
      const expected = path.join(dir, 'expecteds', name);
      if (!/\.(txt|html)$/.test(name) || statSync(file).isDirectory() || !existsSync(expected))
        continue;
      const mail = readFileSync(file, 'utf8');
      if (unseen(root, mail))
        out.push({
          key: sub === 'samples' ? name : `${name} (failing)`,
          mail,
          want: readFileSync(expected, 'utf8'),
          html: name.endsWith('.html'),
        });
    }
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** getfernand/unquotemail's samples, text and HTML, one set split by sorted file name. */
export function round8UnquoteSet(root: string, role: Role): SetReport | null {
  const cases = unquoteCases(root);
  if (cases.length === 0) return null;
  const chosen = firstHalf(cases, role).filter((c) => !writtenInline(root, c.mail));
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const got = ws(
      c.html
        ? extractReplyFromHtml(sanitized(c.mail)).replyWithSignature
        : extractReply(c.mail.replace(/\r\n/g, '\n')).replyWithSignature,
    );
    const want = ws(c.html ? htmlToText(sanitized(c.want)) : c.want);
    score(
      fields,
      c.html ? 'reply with signature exact (HTML)' : 'reply with signature exact (text)',
      got === want,
      c.key,
      `expected ${JSON.stringify(want.slice(0, 80))} got ${JSON.stringify(got.slice(0, 80))}`,
      withSignatureDivergence(got, want),
    );
  }
  return {
    set: 'getfernand/unquotemail (Python, round 8, fresh)',
    role,
    cases: chosen.length,
    fields,
  };
}
