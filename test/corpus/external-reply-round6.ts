// Reply sets added in round 6 of issue #16: projects that are not ports of GitHub's parser, each
// with mail of its own (fresh(): none of it is in an earlier set).
// - Foundry376/Mailspring (the Nylas Mail client): app/spec/fixtures/emails/email_N.html is a
//   message and email_N_stripped.html the same message with the quoted text removed
//   (QuotedHTMLTransformer.removeQuotedHTML, keepIfWholeBodyIsQuote). The client keeps the
//   signature, so `replyWithSignature` of the HTML is compared with the stripped HTML as text
//   (both sanitised and rendered as prepare does).
// - thoughtbot/griddler (Rails inbound mail): spec/griddler/email_spec.rb, 'body formatting', each
//   `body = <<-EOF … EOF` (or a string) with `expect(body_from_email(text: body)).to eq …`. The heredocs are
//   indented with the Ruby code; mail has no such indentation, so their common indentation is
//   removed (what `.strip_heredoc`, used by half of them, does).
// - phacility/phabricator: PhabricatorMetaMTAEmailBodyParserTestCase, the bodies of
//   getEmailBodies() (each stripped to "OKAY") and testFalsePositiveForOnWrote. stripTextBody
//   removes quote and signature, so `reply` is compared.
// Each set is sorted by case key and split by position (half() in scoreReplyCases), fixed in this
// file before any case was scored.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReplyFromHtml } from '../../src/ingest/stages/extract-reply.js';
import { htmlToText } from '../../src/ingest/stages/html-to-text.js';
import { sanitizeEmailHtml } from '../../src/ingest/stages/sanitize-html.js';
import { fresh, type ReplyCase, scoreReplyCases } from './external-reply-ports.js';
import { type Role, type SetReport, ws } from './external-score.js';

// Reviewed divergences (each read on a tune case).
const SIGNATURE_UNDER_QUOTE =
  "the project removes everything from the quote down, the sender's own signature under it too; Inlet keeps a '--' signature the person wrote under the quote in replyWithSignature (reply leaves it out)";
const FORWARD_ONLY =
  "the project returns nothing for a mail that is only an earlier message under its header; Inlet keeps that message's text as the reply (mail forwarded to a helpdesk without a comment is the request)";

/** `got` is `want` and then a signature delimiter with what follows it. */
const signatureUnderQuote = (c: ReplyCase, got: string): boolean => {
  const want = ws(c.want);
  return got.startsWith(want) && /^--\s/.test(got.slice(want.length).trim());
};

/** `want` is empty and `got` is the end of the mail: the text under a header block it opens with. */
const forwardOnly = (c: ReplyCase, got: string): boolean =>
  ws(c.want) === '' && got !== '' && ws(c.text).endsWith(got);

/** HTML as prepare hands it on: sanitised (a refused document stays as it was). */
const sanitizedHtml = (html: string): string => {
  const s = sanitizeEmailHtml(html, { cidUrl: () => null });
  return s.refused === null ? s.html : html;
};

/** Foundry376/Mailspring: email_N.html against email_N_stripped.html. */
export function mailspringSet(root: string, role: Role): SetReport | null {
  const dir = path.join(root, 'Foundry376+Mailspring/app/spec/fixtures/emails');
  if (!existsSync(dir)) return null;
  const cases: ReplyCase[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^(email_\d+)\.html$/.exec(name);
    const stripped = m ? path.join(dir, `${m[1]}_stripped.html`) : '';
    if (!m || !existsSync(stripped)) continue;
    const text = readFileSync(path.join(dir, name), 'utf8');
    if (fresh(root, text))
      cases.push({
        key: m[1]!,
        text,
        want: htmlToText(sanitizedHtml(readFileSync(stripped, 'utf8'))),
      });
  }
  const divergence = (c: ReplyCase, got: string) =>
    signatureUnderQuote(c, got) ? SIGNATURE_UNDER_QUOTE : null;
  return scoreReplyCases('Foundry376/Mailspring quoted HTML', role, cases, divergence, {
    read: (html) => extractReplyFromHtml(sanitizedHtml(html)),
    withSignature: true,
  });
}

/** A Ruby double-quoted string's escapes (heredocs without quotes around the tag are one). */
const rubyEscapes = (s: string): string =>
  s
    .replace(/(?:\\x[0-9a-fA-F]{2})+/g, (run) =>
      Buffer.from(run.replace(/\\x/g, ''), 'hex').toString('utf8'),
    )
    .replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));

const dedent = (s: string): string => {
  const lines = s.split('\n');
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length),
  );
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
};

/** thoughtbot/griddler: the text cases of spec/griddler/email_spec.rb's 'body formatting'. */
export function griddlerSet(root: string, role: Role): SetReport | null {
  const file = path.join(root, 'thoughtbot+griddler/spec/griddler/email_spec.rb');
  if (!existsSync(file)) return null;
  const spec = readFileSync(file, 'utf8');
  const start = spec.indexOf("'body formatting'");
  const end = spec.indexOf('describe Griddler::Email', start + 1);
  if (start === -1) return null;
  const cases: ReplyCase[] = [];
  for (const block of spec
    .slice(start, end === -1 ? undefined : end)
    .split(/\n\s*it '/)
    .slice(1)) {
    const title = /^((?:[^'\\]|\\.)*)'/.exec(block)?.[1];
    const doc = /body = <<-(\w+)(?:\.strip_heredoc)?\n([\s\S]*?)\n\s*\1\n/.exec(block);
    const want =
      /expect\(body_from_email\(text: body\)\)\.to eq ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|body)\s*$/m.exec(
        block,
      )?.[1];
    const literal = /body = "((?:[^"\\]|\\.)*)"/.exec(block)?.[1];
    if (title === undefined || (!doc && literal === undefined) || want === undefined) continue;
    const text = doc ? dedent(rubyEscapes(doc[2]!)) : rubyEscapes(literal!);
    const expected =
      want === 'body'
        ? text
        : want.startsWith("'")
          ? want.slice(1, -1).replace(/\\(['\\])/g, '$1')
          : rubyEscapes(want.slice(1, -1));
    if (fresh(root, text)) cases.push({ key: title, text, want: expected });
  }
  return scoreReplyCases('thoughtbot/griddler', role, cases, (c, got) =>
    forwardOnly(c, got) ? FORWARD_ONLY : null,
  );
}

/** phacility/phabricator: the quoted-text stripping bodies of the body parser's test case. */
export function phabricatorSet(root: string, role: Role): SetReport | null {
  const file = path.join(
    root,
    'phacility+phabricator/src/applications/metamta/parser/__tests__/PhabricatorMetaMTAEmailBodyParserTestCase.php',
  );
  if (!existsSync(file)) return null;
  const src = readFileSync(file, 'utf8');
  const vars: Record<string, string> = { trailing_space: ' ', emdash: '\u2014' };
  const heredocs = (s: string): string[] =>
    [...s.matchAll(/<<<(\w+)\n([\s\S]*?)\n\1\b/g)].map((m) =>
      m[2]!.replace(/\{\$(\w+)\}/g, (v, name: string) => vars[name] ?? v),
    );
  const cases: ReplyCase[] = [];
  const bodies = /function getEmailBodies\(\)([\s\S]*?)\n {2}\}/.exec(src)?.[1] ?? '';
  heredocs(bodies).forEach((text, i) =>
    cases.push({ key: `body-${String(i + 1).padStart(2, '0')}`, text, want: 'OKAY' }),
  );
  const onWrote = /function testFalsePositiveForOnWrote\(\)([\s\S]*?)\n {2}\}/.exec(src)?.[1] ?? '';
  const text = heredocs(onWrote)[0];
  const want = /assertEqual\('((?:[^'\\]|\\.)*)'/.exec(onWrote)?.[1];
  if (text !== undefined && want !== undefined)
    cases.push({ key: 'false-positive-on-wrote', text, want });
  return scoreReplyCases(
    'phacility/phabricator',
    role,
    cases.filter((c) => fresh(root, c.text)),
  );
}

/** The round-6 sets found under `root`. */
export function round6ReplySets(root: string, role: Role): SetReport[] {
  return [mailspringSet(root, role), griddlerSet(root, role), phabricatorSet(root, role)].filter(
    (r): r is SetReport => r !== null && r.cases > 0,
  );
}
