// Bounce and complaint sets first scored in round 3 of issue #16, each against what its project
// asserts or names; fetched outside the repo and split on sorted file names (half() in scoreCases)
// before any case was read. Fresh (no file byte-identical to one in ../shared/corpus or another set):
// - zoonru/PHP-Bounce-Handler: BounceHandlerTest.php's fixtures (type, action, status, recipient),
//   fixture_bounce_* (bounces) and fixture_feedback_*, arf*, fbl-* (complaints) by their names.
// - osandum/bounce-parser (Java): DsnParserTest.java's action (failed or delayed) and status per
//   sample; bad-address-sample.eml, which it refuses to parse, is left out.
// - hyvor/relay (Go, worker/bounceparse): dsn_test.go's recipients with action and status, and
//   arf_test.go's feedback report; the malformed *_invalid_* files assert only a parse error.
// Their mail is also in ../shared/corpus, but not these expectations:
// - mailgun/flanker: tests/fixtures/messages/bounce (every file a bounce; delayed*.eml named as delay
//   notices), complaints/ (feedback-loop reports), bounce_tests.py's status of zed.eml and
//   office365.eml, and signed.eml its "regular message".
// - mikel/mail: spec/mail/multipart_report_spec.rb: report_422 a delay (not bounced), report_530 a
//   failure, both with recipient and status; the multi-address and multiple-status reports bounced.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { type Expect, scoreCases } from './external-bounce-fresh.js';
import type { Role, SetReport } from './external-score.js';

async function flankerSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'mailgun+flanker/tests');
  const testFile = path.join(base, 'mime/bounce_tests.py');
  if (!existsSync(testFile)) return null;
  const fixtures = path.join(base, 'fixtures');
  const named = new Map<string, string>();
  for (const m of readFileSync(path.join(base, '__init__.py'), 'utf8').matchAll(
    /^(\w+) = read_fixture\(\s*'([^']+)'\)/gm,
  ))
    named.set(m[1]!, m[2]!);
  const status = new Map<string, string>();
  for (const m of readFileSync(testFile, 'utf8').matchAll(
    /create\.from_string\((\w+)\)[\s\S]*?status=u'([\d.]*)'/g,
  ))
    if (named.has(m[1]!)) status.set(named.get(m[1]!)!, m[2]!);
  const all: Expect[] = [];
  for (const f of readdirSync(path.join(fixtures, 'messages/bounce'))) {
    const file = `messages/bounce/${f}`;
    const s = status.get(file);
    all.push({
      file,
      bounce: true,
      ...(s ? { status: s } : {}),
      ...(/^delayed/.test(f) ? { temporary: true } : {}),
    });
  }
  for (const f of readdirSync(path.join(fixtures, 'messages/complaints')))
    all.push({ file: `messages/complaints/${f}`, bounce: false, complaint: true });
  for (const [file, s] of status) if (s === '') all.push({ file, bounce: false });
  return scoreCases('mailgun/flanker (also in ../shared/corpus)', role, fixtures, all);
}

async function zoonruSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'zoonru+PHP-Bounce-Handler');
  const testFile = path.join(base, 'tests/BounceHandlerTest.php');
  if (!existsSync(testFile)) return null;
  const asserted = new Map<string, Expect>();
  for (const block of readFileSync(testFile, 'utf8').split(/public function /)) {
    const file = /readFixture\('([^']+)'\)/.exec(block)?.[1];
    if (!file) continue;
    const type = /EmailType::(\w+)/.exec(block)?.[1];
    const action = /BounceAction::(\w+)/.exec(block)?.[1];
    const s = /deliveryStatus\);/.test(block)
      ? /assertSame\('([\d.]+)',\s*\$results\[0\]->deliveryStatus/.exec(block)?.[1]
      : undefined;
    const rcpt = /assertSame\('([^']+)',\s*\$results\[0\]->recipient\)/.exec(block)?.[1];
    asserted.set(
      file,
      type === 'Fbl'
        ? { file: `eml/${file}`, bounce: false, complaint: true }
        : {
            file: `eml/${file}`,
            bounce: type === 'Bounce',
            ...(rcpt ? { recipients: [rcpt] } : {}),
            ...(s ? { status: s } : {}),
            ...(action ? { temporary: action === 'Transient' } : {}),
          },
    );
  }
  const all: Expect[] = [];
  for (const f of readdirSync(path.join(base, 'eml'))) {
    const a = asserted.get(f);
    if (a) all.push(a);
    else if (/^fixture_bounce_/.test(f)) all.push({ file: `eml/${f}`, bounce: true });
    else if (/^(?:fixture_feedback_|arf|fbl-)/.test(f))
      all.push({ file: `eml/${f}`, bounce: false, complaint: true });
  }
  return scoreCases('zoonru/PHP-Bounce-Handler', role, base, all);
}

async function rubyMailSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'mikel+mail/spec');
  const specFile = path.join(base, 'mail/multipart_report_spec.rb');
  if (!existsSync(specFile)) return null;
  const spec = readFileSync(specFile, 'utf8');
  const dir = 'fixtures/emails/multipart_report_emails';
  const all: Expect[] = [];
  // Each describe block names one fixture in before(:each) and asserts bounced?, recipient, status.
  for (const block of spec.split(/describe "/).slice(1)) {
    const file = /before\(:each\)[\s\S]*?'([\w.-]+\.eml)'/.exec(block)?.[1];
    if (!file) continue;
    const rcpt = /final_recipient\)\.to eq '[^;]*;\s*([^']+)'/.exec(block)?.[1];
    const s = /error_status\)\.to eq '([\d.]+)'/.exec(block)?.[1];
    const delayed = /action\)\.to eq 'delayed'/.test(block);
    all.push({
      file: `${dir}/${file}`,
      bounce: true,
      ...(rcpt ? { recipients: [rcpt] } : {}),
      ...(s ? { status: s } : {}),
      temporary: delayed,
    });
  }
  const listed = new Set(all.map((c) => path.basename(c.file)));
  for (const m of spec.matchAll(/'([\w.-]+\.eml)'\)\s*\n\s*expect\((?:mail\d?)\)\.to be_bounced/g))
    if (!listed.has(m[1]!)) all.push({ file: `${dir}/${m[1]}`, bounce: true });
  for (const m of spec.matchAll(/mail(\d) = read_fixture\([^)]*'([\w.-]+\.eml)'\)/g)) {
    const bounced = new RegExp(`expect\\(mail${m[1]}\\)\\.to be_bounced`).test(spec);
    if (bounced && !all.some((c) => c.file.endsWith(m[2]!)))
      all.push({ file: `${dir}/${m[2]}`, bounce: true });
  }
  return scoreCases('mikel/mail (also in ../shared/corpus)', role, base, all);
}

async function osandumSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'osandum+bounce-parser/src/test');
  const testFile = path.join(base, 'java/dk/sandum/mail/DsnParserTest.java');
  if (!existsSync(testFile)) return null;
  const all: Expect[] = [];
  for (const block of readFileSync(testFile, 'utf8').split(/@Test/).slice(1)) {
    const file = /parseEml\("([\w.-]+)"\)/.exec(block)?.[1];
    const action = /MailDeliveryAction\.(\w+)/.exec(block)?.[1];
    if (!file || !action) continue;
    const s = /assertEquals\("([\d.]+)",\s*mds\.getDeliveryStatus/.exec(block)?.[1];
    all.push({
      file: `resources/${file}`,
      bounce: true,
      ...(s ? { status: s } : {}),
      temporary: action === 'delayed',
    });
  }
  return scoreCases('osandum/bounce-parser (Java)', role, base, all);
}

async function hyvorSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'hyvor+relay/worker/bounceparse');
  if (!existsSync(path.join(base, 'dsn_test.go'))) return null;
  const all: Expect[] = [];
  for (const block of readFileSync(path.join(base, 'dsn_test.go'), 'utf8').split(/\nfunc /)) {
    const file = /ReadFile\("\.\/(testdata\/[\w.-]+)"\)/.exec(block)?.[1];
    const rcpts = [...block.matchAll(/"([^"\s]+@[^"\s]+)",\s*\w+\.EmailAddress/g)].map(
      (m) => m[1]!,
    );
    if (!file || rcpts.length === 0) continue;
    const statuses = [...block.matchAll(/DsnStatus\(\[3\]int\{(\d), (\d+), (\d+)\}\)/g)].map(
      (m) => `${m[1]}.${m[2]}.${m[3]}`,
    );
    const actions = [...block.matchAll(/"(failed|delayed)",\s*\w+\.Action/g)].map((m) => m[1]!);
    all.push({
      file,
      bounce: true,
      recipients: rcpts,
      // One status and one action for the report only where every recipient shares them.
      ...(new Set(statuses).size === 1 ? { status: statuses[0] } : {}),
      ...(new Set(actions).size === 1 ? { temporary: actions[0] === 'delayed' } : {}),
    });
  }
  for (const m of readFileSync(path.join(base, 'arf_test.go'), 'utf8').matchAll(
    /ReadFile\("\.\/(testdata\/[\w.-]+)"\)[^}]*?FeedbackType/g,
  ))
    all.push({ file: m[1]!, bounce: false, complaint: true });
  return scoreCases('hyvor/relay (Go)', role, base, all);
}

/** The round-3 bounce and complaint sets found under `root` for one role. */
export async function round3BounceSets(root: string, role: Role): Promise<SetReport[]> {
  const out: SetReport[] = [];
  for (const r of [
    await zoonruSet(root, role),
    await osandumSet(root, role),
    await hyvorSet(root, role),
    await flankerSet(root, role),
    await rubyMailSet(root, role),
  ])
    if (r) out.push(r);
  return out;
}
