// Which mail of a round-8 bounce set (issue #16) is new: mail whose text ../shared/corpus or any
// set scored before round 8 already holds is left out, so the round-8 figures are of unseen mail
// only (parsers copy each other's fixtures). Same rule as round 7 (external-round7-fresh.ts): line
// ends, surrounding blank space and the file's charset do not make mail new.
import { unseenOutside } from './external-round7-fresh.js';

/** The folders the round-8 bounce sets read. */
const ROUND8_BOUNCE_SETS = [
  'discourse+discourse',
  'dimagi+commcare-hq',
  'jungleran+inmail',
  'stalwartlabs+mail-auth',
  'KumoCorp+kumomta',
  'mysociety+alaveteli',
  'OTRS+otrs',
  'knadh+listmonk',
];

/** Mail that neither ../shared/corpus nor a set scored before round 8 holds. */
export const round8Fresh = (root: string, mail: Buffer): boolean =>
  unseenOutside(root, ROUND8_BOUNCE_SETS, mail);
