// What each round-9 machine-mail set's own tests expect of its mail (issue #16): auto-replies,
// bulk and list mail a helpdesk must not answer, loops, and the mail it must answer. The sets are
// described in external-auto-round9.ts; each reader below cites the test it follows.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { Round8Case } from './external-bounce-round8-cases.js';

/** A project's file, or '' when the set is not fetched. */
const fileText = (dir: string, file: string): string => {
  try {
    return readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return '';
  }
};

/** A mail as Ruby's `Mail.new(hash)` builds it: each key a header in the hash's order, `body` the body. */
function rubyMail(fields: [string, string][]): string {
  const name = (k: string) =>
    ({ to: 'To', from: 'From', subject: 'Subject' })[k.toLowerCase()] ?? k;
  const headers = fields.filter(([k]) => k.toLowerCase() !== 'body');
  const body = fields.find(([k]) => k.toLowerCase() === 'body')?.[1] ?? '';
  return `${headers.map(([k, v]) => `${name(k)}: ${v}`).join('\n')}\n\n${body}\n`;
}

/** The `"key" => "value"` and `key: "value"` pairs of a Ruby hash literal, in order. */
const rubyPairs = (hash: string): [string, string][] =>
  [...hash.matchAll(/(?:"([^"]+)"\s*=>|(\w+):)\s*"([^"]*)"/g)].map((m) => [(m[1] ?? m[2])!, m[3]!]);

/** The strings of a Ruby `%w(...)` or `[ "...", ... ]` list. */
const rubyList = (src: string): string[] =>
  src.trimStart().startsWith('%w')
    ? src
        .replace(/^\s*%w\(|\)\s*$/g, '')
        .split(/\s+/)
        .filter(Boolean)
    : [...src.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);

// Shotzoom/autoreply (MIT): spec/autoreply/**/*_spec.rb. Every mail a spec builds and calls
// `autoreply?` on: truthy means a machine's mail (auto-responder, list, bulk, spam-flagged, a
// system sender), falsey a person's. Case names are the specs' own `it` descriptions, with the
// interpolated value, and the value itself where a description repeats.
export function shotzoomCases(dir: string): Round8Case[] {
  const lib = (f: string) => fileText(dir, `lib/autoreply/scanner/${f}`);
  const spec = (f: string) => fileText(dir, `spec/autoreply/${f}`);
  const byName = new Map<string, Round8Case>();
  const seenMail = new Set<string>();
  const add = (name: string, fields: [string, string][], auto: boolean): void => {
    const mail = rubyMail(fields);
    if (seenMail.has(mail)) return;
    seenMail.add(mail);
    let file = name;
    for (let i = 2; byName.has(file); i++) file = `${name} #${i}`;
    byName.set(file, { file, mail, kind: auto ? 'auto' : 'person' });
  };
  const defaults = (specText: string): [string, string][] =>
    rubyPairs(/let\(:default_email_headers\)\s*\{\s*\{([\s\S]*?)\}\s*\}/.exec(specText)?.[1] ?? '');

  // headers/by_value_spec.rb: the defaults merged with one header each.
  const byValue = spec('scanner/headers/by_value_spec.rb');
  for (const m of byValue.matchAll(
    /it "([^"]+)" do\s*mail = Mail\.new\((default_email_headers(?:\.merge\(([^)]*)\))?)\)[\s\S]*?to be_(truthy|falsey)/g,
  )) {
    const extra = rubyPairs(m[3] ?? '');
    const value = extra.map(([k, v]) => `${k}: ${v}`).join(', ');
    add(
      `${m[1]}${value ? ` (${value})` : ''}`,
      [...defaults(byValue), ...extra],
      m[4] === 'truthy',
    );
  }
  // headers/by_existance_spec.rb: each of the scanner's KNOWN_HEADERS with "somevalue".
  const existance = spec('scanner/headers/by_existance_spec.rb');
  const known = /KNOWN_HEADERS = (%w\([\s\S]*?\))/.exec(lib('headers/by_existance.rb'))?.[1];
  if (existance && known)
    for (const h of rubyList(known))
      add(`should detect \`${h} header`, [...defaults(existance), [h, 'somevalue']], true);
  // subject_spec.rb: the scanner's KNOWN_SUBJECTS, and one vacation subject written in the spec.
  const subjectSpec = spec('scanner/subject_spec.rb');
  const subjects = /KNOWN_SUBJECTS = (\[[\s\S]*?\])/.exec(lib('subject.rb'))?.[1];
  const withSubject = (s: string): [string, string][] =>
    defaults(subjectSpec).map(([k, v]) => [k, k === 'subject' ? s : v]);
  if (subjectSpec && subjects) {
    for (const s of rubyList(subjects)) add(`should detect \`${s}\``, withSubject(s), true);
    for (const m of subjectSpec.matchAll(
      /it "should be true" do\s*mail = Mail\.new\(([\s\S]*?)\)\s*\n/g,
    ))
      add(
        `should be true (${rubyPairs(m[1]!).find(([k]) => k === 'subject')?.[1]})`,
        rubyPairs(m[1]!),
        true,
      );
  }
  // sender_spec.rb: "#{example}@example.com" for each example of the spec's list.
  const senderSpec = spec('scanner/sender_spec.rb');
  const examples = /context "autoreplies" do\s*(\[[\s\S]*?\])\.each/.exec(senderSpec)?.[1];
  if (examples)
    for (const e of rubyList(examples))
      add(
        `should detect \`${e}\``,
        defaults(senderSpec).map(([k, v]) => [k, k === 'from' ? `${e}@example.com` : v]),
        true,
      );
  // Every spec's own literal mails: `Mail.new(k => v, …)` with the expectation that follows it.
  for (const f of [
    'scanner/microsoft_outlook_spec.rb',
    'scanner_spec.rb',
    'autoreply_spec.rb',
    'scanner/headers_spec.rb',
  ])
    for (const m of spec(f).matchAll(
      /(?:it|context) "([^"]+)" do\s*(?:let\(:mail\) do\s*)?(?:mail = )?Mail\.new\(([^)]*)\)[\s\S]*?to be_(truthy|falsey)/g,
    )) {
      const pairs = rubyPairs(m[2]!);
      add(
        `${m[1]} (${pairs.map(([k, v]) => `${k}: ${v}`).join(', ') || 'empty'})`,
        pairs,
        m[3] === 'truthy',
      );
    }
  // Each spec's "should be false" mail: the defaults alone (the same mail in every spec, kept once).
  if (byValue) add('should be false', defaults(byValue), false);
  return [...byName.values()];
}

// redmine/redmine (GPL-2.0): test/unit/mail_handler_test.rb. `test_should_ignore_auto_replied_emails`
// puts one header above ticket_on_given_project.eml and expects MailHandler to ignore the mail;
// "should not ignore Auto-Submitted headers not defined in RFC3834" expects an issue from
// `Auto-Submitted: auto-forwarded`. Every fixture a test turns into an issue, a journal or a board
// message is a person's mail there.
export function redmineCases(dir: string): Round8Case[] {
  const t = fileText(dir, 'test/unit/mail_handler_test.rb');
  if (!t) return [];
  const fixtures = 'test/fixtures/mail_handler';
  const base = 'ticket_on_given_project.eml';
  const baseMail = fileText(dir, `${fixtures}/${base}`);
  const out: Round8Case[] = [];
  const headerCases = (title: RegExp, kind: Round8Case['kind']): void => {
    const block = title.exec(t)?.[1] ?? '';
    for (const h of /\[([\s\S]*?)\]\.each/.exec(block)?.[1]?.matchAll(/["']([^"']+)["']/g) ?? [])
      out.push({ file: `${fixtures}/${base} with ${h[1]}`, mail: `${h[1]}\n${baseMail}`, kind });
  };
  headerCases(/def test_should_ignore_auto_replied_emails([\s\S]*?)\n {2}end\n/, 'auto');
  headerCases(
    /test "should not ignore Auto-Submitted headers[^"]*" do([\s\S]*?)\n {2}end\n/,
    'person',
  );
  const created =
    /is_a\?\((?:Issue|Journal|Message)\)|assert_kind_of (?:Issue|Journal|Message)\b|assert_issue_created/;
  const people = new Set<string>();
  for (const block of t.split(/\n {2}(?=def test_|test ")/))
    if (created.test(block))
      for (const m of block.matchAll(/submit_email\(\s*'([\w.-]+\.eml)'/g)) people.add(m[1]!);
  for (const f of [...people].sort()) out.push({ file: `${fixtures}/${f}`, kind: 'person' });
  return out;
}

// bestpractical/rt (GPL-2.0): t/mail/autogenerated.t asks CheckForAutoGenerated of one mail with
// two Precedence fields ("Is AutoGenerated"), then of the same mail with the second removed
// ("Isn't AutoGenerated"); t/mail/sendmail.t feeds t/data/emails/multipart-report in and checks
// "It's the bounce".
export function rtCases(dir: string): Round8Case[] {
  const t = fileText(dir, 't/mail/autogenerated.t');
  const mail = /<<'MSG'\)[^\n]*\n([\s\S]*?)\nMSG\n/.exec(t)?.[1];
  const out: Round8Case[] = [];
  if (mail && /delete\("Precedence", 1\)/.test(t)) {
    out.push({ file: 'Is AutoGenerated', mail: `${mail}\n`, kind: 'auto' });
    let seen = 0;
    const second = mail
      .split('\n')
      .filter((l) => !(/^Precedence:/i.test(l) && seen++ === 1))
      .join('\n');
    out.push({ file: "Isn't AutoGenerated", mail: `${second}\n`, kind: 'person' });
  }
  if (
    /mail_in_ticket\('multipart-report'\)[\s\S]*?It's the bounce/.test(
      fileText(dir, 't/mail/sendmail.t'),
    )
  )
    out.push({ file: 't/data/emails/multipart-report', kind: 'bounce' });
  return out;
}

// bruceg/qmail-autoresponder (GPL-2.0): runtests-common.sh builds each test mail with
// make_message (its fixed header lines, the header line a test passes, then a fixed body) and says
// whether the auto-responder answers it (`runtest true`) or must not (`runtest false`). Only the
// tests that pass a header line are read: the others differ by the envelope sender alone, which is
// not in the mail.
export function qmailAutoresponderCases(dir: string): Round8Case[] {
  const sh = fileText(dir, 'runtests-common.sh');
  const fn = /make_message\(\) \{\n([\s\S]*?)\n\}/.exec(sh)?.[1];
  if (!fn) return [];
  const lines = fn.split('\n').map((l) => l.trim());
  const echoed = (l: string) => /^echo(?: '(.*)')?$/.exec(l)?.[1] ?? '';
  const loop = lines.findIndex((l) => l.startsWith('for line'));
  const done = lines.findIndex((l) => l === 'done');
  if (loop < 0 || done < loop) return [];
  const before = lines.slice(0, loop).map(echoed);
  const after = lines.slice(done + 1).map(echoed);
  const out = new Map<string, Round8Case>();
  for (const m of sh.matchAll(/^\s*runtest (true|false)\s+\S+\s+'[^']*'\s+'([^']+)'\s*$/gm)) {
    const header = m[2]!;
    if (out.has(header)) continue;
    out.set(header, {
      file: header,
      mail: [...before, header, ...after].join('\n') + '\n',
      kind: m[1] === 'true' ? 'person' : 'auto',
    });
  }
  return [...out.values()];
}
