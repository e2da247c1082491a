// Machine-mail sets added in round 9 of issue #16, never scored before: what a helpdesk must not
// answer (auto-replies, bulk, list and spam-flagged mail, loops) and what it must. Each is read
// against its project's own tests (external-auto-round9-cases.ts cites them); the mail is fetched
// outside the repo (licences) into `owner+name` folders like every external set:
// - Shotzoom/autoreply (MIT): a Ruby auto-reply detector; its specs build mails header by header.
// - redmine/redmine (GPL-2.0): the mail handler's tests (auto-replies ignored, persons' mail kept).
// - bestpractical/rt (GPL-2.0): Request Tracker's auto-generated check and a bounce it files.
// - bruceg/qmail-autoresponder (GPL-2.0): which header lines stop a vacation responder (added
//   after the rules of round 9 were written, so its first figures are unseen for them too).
// Cases already in ../shared/corpus or another set are left out (round9Fresh). Each set's cases are
// sorted by name and split once, first half tune, second half held out, fixed before any was
// scored. Scored as round 8 scores its sets: 'auto-generated not answered' is any kind but a
// bounce whose classification suppresses an automatic answer.
import path from 'node:path';

import {
  qmailAutoresponderCases,
  redmineCases,
  rtCases,
  shotzoomCases,
} from './external-auto-round9-cases.js';
import { scoreSet } from './external-bounce-round8.js';
import type { Round8Case } from './external-bounce-round8-cases.js';
import { unseenOutside } from './external-round7-fresh.js';
import type { Role, SetReport } from './external-score.js';

// Reviewed divergences (decided from the tune halves and the projects' source: Shotzoom's
// lib/autoreply/scanner/*.rb, qmail-autoresponder's headers.c; applied to both halves): mail the
// project calls automatic where Inlet's kinds say otherwise on purpose. Each is still a miss in
// the totals, listed as divergent.
const DIVERGENCES: Record<string, [RegExp, string][]> = {
  'Shotzoom+autoreply': [
    [
      /^From:\s*mailer[-_]daemon@/im,
      'a message from MAILER-DAEMON is a bounce to Inlet (real ones come in forms no other sign reads); the field leaves bounces out, and a bounce is never answered either',
    ],
    [
      /^X-Mailer:\s*Mail\s*$/im,
      "an X-Mailer that is only a program's name ('Mail') says nothing of who wrote the mail",
    ],
    [
      /^X-Mailer:.*Outlook/im,
      "the project reads 'out of office' anywhere in an Outlook user's body as a responder; a person writes those words too, and Inlet weighs the body's away words only against other machine signs",
    ],
  ],
  // qmail-autoresponder ignores mail that already holds the Delivered-To line its own delivery
  // would add (its test sets that line through the environment). Inlet reads a mailbox whose
  // delivery adds that line to every message, so one Delivered-To says nothing of a loop.
  'bruceg+qmail-autoresponder': [
    [
      /^delivered-to:/im,
      "one Delivered-To is what the mailbox Inlet reads adds to every message; the project's loop test compares it with its own delivery line, set outside the mail",
    ],
  ],
};

/** Moves the misses the divergences above explain into `divergent` (the pass count is unchanged). */
function markDivergences(report: SetReport, cases: Round8Case[], folder: string): SetReport {
  const f = report.fields['auto-generated not answered'];
  const rules = DIVERGENCES[folder];
  if (!f || !rules) return report;
  // The case a miss names: its id is the case's name, which may hold ': ' itself.
  const caseOf = (miss: string) => cases.find((k) => miss.startsWith(`${k.file}: `));
  const kept: string[] = [];
  for (const miss of f.misses) {
    const c = caseOf(miss);
    const hit = c?.mail && rules.find(([re]) => re.test(c.mail!));
    if (c && hit) f.divergent.push(`${c.file}: ${hit[1]}`);
    else kept.push(miss);
  }
  f.misses = kept;
  return report;
}

/** The folders the round-9 machine-mail sets read. */
const ROUND9_AUTO_SETS = [
  'Shotzoom+autoreply',
  'redmine+redmine',
  'bestpractical+rt',
  'bruceg+qmail-autoresponder',
];

/** The round-9 machine-mail sets found under `root` for one role. */
export async function round9AutoSets(root: string, role: Role): Promise<SetReport[]> {
  // Mail that neither ../shared/corpus nor a set scored before round 9 holds.
  const fresh = (mail: Buffer) => unseenOutside(root, ROUND9_AUTO_SETS, mail);
  const sets: [string, string, (dir: string) => Round8Case[]][] = [
    ['Shotzoom/autoreply detector specs (round 9, fresh)', 'Shotzoom+autoreply', shotzoomCases],
    ['redmine/redmine mail handler (round 9, fresh)', 'redmine+redmine', redmineCases],
    ['bestpractical/rt auto-generated and bounce (round 9, fresh)', 'bestpractical+rt', rtCases],
    [
      'bruceg/qmail-autoresponder header tests (round 9, fresh)',
      'bruceg+qmail-autoresponder',
      qmailAutoresponderCases,
    ],
  ];
  const reports: SetReport[] = [];
  for (const [set, folder, read] of sets) {
    const cases = read(path.join(root, folder));
    const r = await scoreSet(set, role, root, folder, cases, fresh);
    if (r) reports.push(markDivergences(r, cases, folder));
  }
  return reports;
}
