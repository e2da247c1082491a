// Which mail of a round-8 bounce set (issue #16) is new: mail whose text ../shared/corpus or any
// set scored before round 8 already holds is left out, so the round-8 figures are of unseen mail
// only (parsers copy each other's fixtures). Same rule as round 7 (external-round7-fresh.ts): line
// ends, surrounding blank space and the file's charset do not make mail new.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { findCorpus } from './run-corpus.js';

/** The folders the round-8 bounce sets read. */
const NEW_SETS = new Set([
  'discourse+discourse',
  'dimagi+commcare-hq',
  'jungleran+inmail',
  'stalwartlabs+mail-auth',
  'KumoCorp+kumomta',
  'mysociety+alaveteli',
  'OTRS+otrs',
]);

const utf8 = new TextDecoder('utf-8', { fatal: true });
function digest(bytes: Buffer): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = bytes.toString('latin1');
  }
  return createHash('sha1').update(text.replace(/\r\n/g, '\n').trim()).digest('hex');
}

let known: Set<string> | null = null;
function earlierMail(root: string): Set<string> {
  if (known) return known;
  const seen = new Set<string>();
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      if (n.startsWith('.') || n === 'node_modules') continue;
      const p = path.join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(txt|eml|msg|mbox)$/i.test(n) && st.size < 2_000_000)
        seen.add(digest(readFileSync(p)));
    }
  };
  for (const d of readdirSync(root))
    if (!NEW_SETS.has(d) && statSync(path.join(root, d)).isDirectory()) walk(path.join(root, d));
  const shared = findCorpus();
  if ('dir' in shared && existsSync(shared.dir)) walk(shared.dir);
  return (known = seen);
}

/** Mail that neither ../shared/corpus nor a set scored before round 8 holds. */
export const round8Fresh = (root: string, mail: Buffer): boolean =>
  !earlierMail(root).has(digest(mail));
