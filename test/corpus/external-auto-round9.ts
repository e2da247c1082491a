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
// sorted by name and split once, first half tune, second half held out (firstHalf), fixed before
// any was scored. Scored as round 8 scores its sets (scoreOne): 'auto-generated not answered' is
// any kind but a bounce whose classification suppresses an automatic answer.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { classifyMessage } from '../../src/ingest/stages/classify.js';
import type { Classification } from '../../src/ingest/types.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import {
  qmailAutoresponderCases,
  redmineCases,
  rtCases,
  shotzoomCases,
} from './external-auto-round9-cases.js';
import { scoreOne } from './external-bounce-round8.js';
import type { Round8Case } from './external-bounce-round8-cases.js';
import { unseenOutside } from './external-round7-fresh.js';
import { type FieldScore, firstHalf, type Role, score, type SetReport } from './external-score.js';

const ctx = {
  ownAddresses: ['support@inlet.test'],
  isOwnMessageId: (id: string) => id.endsWith('@inlet.test'),
};

/** The folders the round-9 machine-mail sets read. */
const ROUND9_AUTO_SETS = [
  'Shotzoom+autoreply',
  'redmine+redmine',
  'bestpractical+rt',
  'bruceg+qmail-autoresponder',
];

/** Mail that neither ../shared/corpus nor a set scored before round 9 holds. */
const round9Fresh = (root: string, mail: Buffer): boolean =>
  unseenOutside(root, ROUND9_AUTO_SETS, mail);

async function classify(bytes: Buffer): Promise<Classification> {
  return classifyMessage((await prepareMessage(bytes, defaultIngestLimits)).parsed, ctx);
}

async function scoreSet(
  set: string,
  role: Role,
  dir: string,
  root: string,
  all: Round8Case[],
): Promise<SetReport | null> {
  const mailOf = (c: Round8Case): Buffer =>
    c.mail !== undefined ? Buffer.from(c.mail, 'utf8') : readFileSync(path.join(dir, c.file));
  const present = all.filter((c) => {
    try {
      return c.mail !== undefined || statSync(path.join(dir, c.file)).isFile();
    } catch {
      return false;
    }
  });
  const fresh = present.filter((c) => round9Fresh(root, mailOf(c)));
  const cases = firstHalf(
    fresh.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
    role,
  );
  if (cases.length === 0) return null;
  const fields: Record<string, FieldScore> = {};
  for (const c of cases) {
    const bytes = mailOf(c);
    let cl: Classification;
    try {
      cl = await classify(bytes);
    } catch (e) {
      score(fields, 'classified', false, c.file, String(e));
      continue;
    }
    scoreOne(fields, c, cl, bytes.toString('latin1'));
  }
  return { set, role, cases: cases.length, fields };
}

/** The round-9 machine-mail sets found under `root` for one role. */
export async function round9AutoSets(root: string, role: Role): Promise<SetReport[]> {
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
    const dir = path.join(root, folder);
    const r = await scoreSet(set, role, dir, root, read(dir));
    if (r) reports.push(r);
  }
  return reports;
}
