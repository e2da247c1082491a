// The HTML reply sets of round 8 (issue #16): message HTML whose quote a mail client removes.
// - yourtempo/tempo-email-parser (TypeScript, MIT): src/tests/prepareMessage/NAME.input.html and
//   NAME.output-message.html, what prepareMessage(…, { noQuotations: true }) shows of it. The
//   client removes the quote and keeps the signature, so Inlet's `replyWithSignature` of the
//   input is compared with the expected HTML as text (both sanitised and rendered as prepare
//   does). A fixture whose input an earlier set holds (Mailspring's email_N) is left out.
// - lever/planer (JavaScript port of talon, MIT): test/planerHtml.test.coffee, 'examples from
//   files': the text extractFromHtml keeps must contain the reply's snippet and not the quoted
//   message's. Its inline cases are talon's own HTML tests (talon is scored already) and are not
//   read. Scored as two properties per file.
// Cases are keyed "<repo>:<name>", sorted and split once, first half tune (firstHalf), fixed in
// this file before any was scored.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReplyFromHtml } from '../../src/ingest/stages/extract-reply.js';
import { htmlToText } from '../../src/ingest/stages/html-to-text.js';
import { sanitizeEmailHtml } from '../../src/ingest/stages/sanitize-html.js';
import { unseen, writtenInline } from './external-reply-round8-seen.js';
import {
  type FieldScore,
  firstHalf,
  type Role,
  score,
  type SetReport,
  ws,
} from './external-score.js';
import { JsReader } from './js-literal.js';

/** HTML as prepare hands it on: sanitised (a refused document stays as it was). */
export const sanitized = (html: string): string => {
  const s = sanitizeEmailHtml(html, { cidUrl: () => null });
  return s.refused === null ? s.html : html;
};

// Reviewed divergences of the projects that keep the signature (whitespace-normalised text): the
// first is the class Mailspring's set has (external-reply-round6.ts), the second alfonsrv's
// (external-reply-sets.ts); the third was read on unquotemail's tune half.
const SIGNATURE_UNDER_QUOTE =
  "the project removes everything from the quote down, the sender's own signature under it too; Inlet keeps a '--' signature the person wrote under the quote in replyWithSignature (reply leaves it out)";
const RULE_KEPT =
  'the project keeps the rule line above the quoted header in the body; Inlet leaves it out with the header';
const QUOTE_KEPT =
  "the project keeps a quote (an attribution and its '>' lines) it cannot part from the reply; Inlet removes it";

/** Why `got` (Inlet's replyWithSignature) differs from `want` by convention only, or null. */
export function withSignatureDivergence(got: string, want: string): string | null {
  if (got.startsWith(want) && /^--\s/.test(got.slice(want.length).trim()))
    return SIGNATURE_UNDER_QUOTE;
  const kept = want.startsWith(got) ? want.slice(got.length).trim() : '';
  if (/^(?:_{4,}|-{4,})$/.test(kept)) return RULE_KEPT;
  return /\bwrote:/.test(kept) && / > /.test(kept) ? QUOTE_KEPT : null;
}

interface HtmlCase {
  key: string;
  html: string;
  /** The text the client shows (tempo), or the snippets it must and must not keep (planer). */
  want: { text: string } | { keeps: string; drops: string };
}

function tempoCases(root: string): HtmlCase[] {
  const dir = path.join(root, 'yourtempo+tempo-email-parser/src/tests/prepareMessage');
  if (!existsSync(dir)) return [];
  const out: HtmlCase[] = [];
  for (const n of readdirSync(dir)) {
    const name = /^(.+)\.input\.html$/.exec(n)?.[1];
    const expected = name ? path.join(dir, `${name}.output-message.html`) : '';
    if (!name || !existsSync(expected)) continue;
    const html = readFileSync(path.join(dir, n), 'utf8');
    const text = htmlToText(sanitized(readFileSync(expected, 'utf8')));
    if (unseen(root, html)) out.push({ key: `tempo:${name}`, html, want: { text } });
  }
  return out;
}

function planerCases(root: string): HtmlCase[] {
  const dir = path.join(root, 'lever+planer/test');
  const file = path.join(dir, 'planerHtml.test.coffee');
  if (!existsSync(file)) return [];
  const src = readFileSync(file, 'utf8');
  const out: HtmlCase[] = [];
  for (const block of src.split(/\n\s*it '/).slice(1)) {
    const snippet = (name: string): string | null => {
      const at = new RegExp(`${name} = `).exec(block);
      return at ? new JsReader(block, at.index + at[0].length).literal() : null;
    };
    const keeps = snippet('replySnippet');
    const drops = snippet('originalMsgSnippet');
    const example = /absolutePath\('(examples\/html\/[\w.-]+)'\)/.exec(block)?.[1];
    if (keeps === null || drops === null || !example || !existsSync(path.join(dir, example)))
      continue;
    const html = readFileSync(path.join(dir, example), 'utf8');
    if (unseen(root, html))
      out.push({ key: `planer:${path.basename(example)}`, html, want: { keeps, drops } });
  }
  return out;
}

/** tempo-email-parser and planer, one set split by sorted key. */
export function round8ReplyHtmlSet(root: string, role: Role): SetReport | null {
  const cases = [...tempoCases(root), ...planerCases(root)].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  if (cases.length === 0) return null;
  const chosen = firstHalf(cases, role).filter((c) => !writtenInline(root, c.html));
  const fields: Record<string, FieldScore> = {};
  for (const c of chosen) {
    const got = ws(extractReplyFromHtml(sanitized(c.html)).replyWithSignature);
    if ('text' in c.want) {
      const want = ws(c.want.text);
      score(
        fields,
        'reply with signature exact',
        got === want,
        c.key,
        `expected ${JSON.stringify(want.slice(0, 80))} got ${JSON.stringify(got.slice(0, 80))}`,
        withSignatureDivergence(got, want),
      );
    } else {
      const { keeps, drops } = c.want;
      score(fields, 'reply properties', got.includes(ws(keeps)), c.key, `lost ${keeps}`);
      score(fields, 'reply properties', !got.includes(ws(drops)), c.key, `kept ${drops}`);
    }
  }
  return {
    set: 'tempo-email-parser (TS) + lever/planer (JS) quoted HTML (round 8, fresh)',
    role,
    cases: chosen.length,
    fields,
  };
}
