// Reply sets added in round 5 of issue #16, chosen because they hold mail of their own (most ports
// of GitHub's parser reuse its or willdurand's fixtures: of the ports looked at, recapco 0 of 20,
// EricJWHuang 0 of 20, jokokko 0 of 90, Driftt 1 of 17 and t2bot 2 of 39 fixtures are fresh()).
// - sosedoff/mail_extract (Ruby): `parse_fixture('X.txt')` compared with `result_fixture('X.txt')`
//   (the file result_X.txt) or with a string literal; commented-out expectations are not read.
// - pgherveou/mailstrip (CoffeeScript): each `it '…'` holds a block string of mail (''' or """)
//   and `.should.equal '…'`. The library also cuts at any line naming the sender's address; the
//   mail is scored as it stands.
// - Teamtailor/email_reply_parser (Ruby, GitHub's parser with Gmail/Inbox/Yahoo mail in Croatian,
//   Danish and Swedish added): `assert_equal "…", EmailReplyParser.parse_reply(body)` where body is
//   a fixture read with EMAIL_FIXTURE_PATH.join; only fixtures none of the earlier sets holds.
// Each set is sorted by case key and split by position (half() in scoreReplyCases), fixed in this
// file before any case was scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { fresh, type ReplyCase, scoreReplyCases } from './external-reply-ports.js';
import { type Role, type SetReport, ws } from './external-score.js';

// Reviewed divergences (each read on a tune case).
const SENDER_LINE =
  "the library is handed the sender's address and cuts at any line naming an address; Inlet cuts at a date and address line only when a quote follows it (a person's text names addresses too)";
const LONG_RULE =
  "the project cuts at any long hyphen line; Inlet does not: a table's header rule is the same line (crisp's email_not_a_signature keeps the table under one)";

/** `want` is the text above the first line of `text` that holds an address. */
const aboveAddress = (c: ReplyCase): boolean => {
  const lines = c.text.split('\n');
  const k = lines.findIndex((l) => /\S@\S/.test(l));
  return k > 0 && ws(lines.slice(0, k).join('\n')) === ws(c.want);
};

/** `got` is `want` and then a long hyphen line with what follows it. */
const afterLongRule = (c: ReplyCase, got: string): boolean =>
  got.startsWith(ws(c.want)) && /^-{30,}/.test(got.slice(ws(c.want).length).trim());

const rubyString = (lit: string): string =>
  lit.startsWith("'")
    ? lit.slice(1, -1).replace(/\\(['\\])/g, '$1')
    : lit
        .slice(1, -1)
        .replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));

/** sosedoff/mail_extract: spec/parser_spec.rb over spec/fixtures. */
export function mailExtractSet(root: string, role: Role): SetReport | null {
  const dir = path.join(root, 'sosedoff+mail_extract/spec');
  const spec = path.join(dir, 'parser_spec.rb');
  if (!existsSync(spec)) return null;
  const cases: ReplyCase[] = [];
  for (const block of readFileSync(spec, 'utf8')
    .split(/\n\s*it '/)
    .slice(1)) {
    const input = /(?:parse_fixture\(|MailExtract\.new\(fixture\()'([\w.-]+)'/.exec(block)?.[1];
    // Only a live expectation: a line that opens with `body.should ==` (not `# body.should`).
    const m =
      /^\s*body\.should == (result_fixture\('([\w.-]+)'\)|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/m.exec(
        block,
      );
    if (!input || !m) continue;
    const file = path.join(dir, 'fixtures', input);
    const want = m[2] ? path.join(dir, 'fixtures', `result_${m[2]}`) : null;
    if (!existsSync(file) || (want && !existsSync(want))) continue;
    const text = readFileSync(file, 'utf8');
    if (fresh(root, text))
      cases.push({
        key: input,
        text,
        want: want ? readFileSync(want, 'utf8') : rubyString(m[1]!),
      });
  }
  return scoreReplyCases('sosedoff/mail_extract', role, cases);
}

/** A CoffeeScript block string: the lines between the quotes less their common indentation. */
function blockString(body: string): string {
  const lines = body
    .replace(/^[ \t]*\n/, '')
    .replace(/\n[ \t]*$/, '')
    .split('\n');
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length),
  );
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** pgherveou/mailstrip: src/test/tests.coffee. */
export function mailstripSet(root: string, role: Role): SetReport | null {
  const file = path.join(root, 'pgherveou+mailstrip/src/test/tests.coffee');
  if (!existsSync(file)) return null;
  const cases: ReplyCase[] = [];
  for (const block of readFileSync(file, 'utf8')
    .split(/\n\s*it '/)
    .slice(1)) {
    const title = /^((?:[^'\\]|\\.)*)'/.exec(block)?.[1];
    const text = /('''|""")\n([\s\S]*?)\n\s*\1/.exec(block)?.[2];
    const want = /\.should\.equal ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/.exec(block)?.[1];
    if (title === undefined || text === undefined || want === undefined) continue;
    const mail = blockString(text);
    if (fresh(root, mail)) cases.push({ key: title, text: mail, want: rubyString(want) });
  }
  return scoreReplyCases('pgherveou/mailstrip', role, cases, (c) =>
    aboveAddress(c) ? SENDER_LINE : null,
  );
}

/** Teamtailor/email_reply_parser: test/email_reply_parser_test.rb over test/emails. */
export function teamtailorSet(root: string, role: Role): SetReport | null {
  const dir = path.join(root, 'Teamtailor+email_reply_parser/test');
  const file = path.join(dir, 'email_reply_parser_test.rb');
  if (!existsSync(file)) return null;
  const cases: ReplyCase[] = [];
  for (const block of readFileSync(file, 'utf8')
    .split(/\n\s*def (?=test_)/)
    .slice(1)) {
    const name = /EMAIL_FIXTURE_PATH\.join\(["']([\w.-]+)["']\)/.exec(block)?.[1];
    const want =
      /assert_equal\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"),\s*EmailReplyParser\.parse_reply\(body\)/.exec(
        block,
      )?.[1];
    if (!name || !want) continue;
    const fixture = path.join(dir, 'emails', name.endsWith('.txt') ? name : `${name}.txt`);
    if (!existsSync(fixture)) continue;
    const text = readFileSync(fixture, 'utf8');
    if (fresh(root, text)) cases.push({ key: name, text, want: rubyString(want) });
  }
  return scoreReplyCases('Teamtailor/email_reply_parser', role, cases, (c, got) =>
    afterLongRule(c, got) ? LONG_RULE : null,
  );
}

/** The round-5 sets found under `root`. */
export function round5ReplySets(root: string, role: Role): SetReport[] {
  return [mailExtractSet(root, role), mailstripSet(root, role), teamtailorSet(root, role)].filter(
    (r): r is SetReport => r !== null && r.cases > 0,
  );
}
