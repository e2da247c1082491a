// mailgun/talon's inline cases: tests/text_quotations_test.py writes each mail as a Python literal
// and asserts eq_(expected, quotations.extract_from_plain(mail)). ../shared/corpus holds talon's
// fixture files only, so these cases are new to Inlet. extract_from_plain removes quotes, not
// signatures: `replyWithSignature` is compared. Cases are the test functions sorted by name and
// split by position (half()), fixed before any was read; helpers (format() templates) are skipped.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { extractReply } from '../../src/ingest/stages/extract-reply.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';
import { PyReader } from './py-literal.js';

interface Case {
  id: string;
  text: string;
  want: string;
  divergence: string | null;
}

// Reviewed divergence: a test run with one of talon's settings patched tests that setting.
const PATCHED =
  'the test patches a talon setting (@patch.object, e.g. MAX_LINES_COUNT = 1); its expectation is that setting';

/** A literal or a variable bound earlier in the function, read at `src` offset 0; null if neither. */
function operand(src: string, vars: Map<string, string>): { value: string; length: number } | null {
  const name = /^\s*([a-z_]\w*)\b(?!\s*[("'])/.exec(src);
  if (name && !/^\s*[rbu]{1,2}["']/i.test(src)) {
    const value = vars.get(name[1]!);
    return value === undefined || src.slice(name[0].length).trimStart().startsWith('.')
      ? null
      : { value, length: name[0].length };
  }
  try {
    const r = new PyReader(src);
    const value = r.value();
    return typeof value === 'string' ? { value, length: r.offset } : null;
  } catch {
    return null;
  }
}

function cases(source: string): Map<string, Case[]> {
  const out = new Map<string, Case[]>();
  const patched = new Set(
    [...source.matchAll(/^@patch\.object\(.*\n(?:@.*\n)*def (\w+)/gm)].map((m) => m[1]),
  );
  for (const fn of source.split(/\n(?=def )/)) {
    const name = /^def (test_\w+)/.exec(fn)?.[1];
    if (!name) continue;
    const vars = new Map<string, string>();
    const found: Case[] = [];
    const steps = /^ {4}(\w+) = |eq_\(/gm;
    for (let m = steps.exec(fn); m !== null; m = steps.exec(fn)) {
      const at = m.index + m[0].length;
      if (m[1] !== undefined) {
        const v = operand(fn.slice(at), new Map());
        if (v) vars.set(m[1], v.value);
        continue;
      }
      const want = operand(fn.slice(at), vars);
      if (!want) continue;
      const rest = fn.slice(at + want.length);
      const call = /^\s*,\s*quotations\.extract_from_plain\(/.exec(rest);
      if (!call) continue;
      const text = operand(rest.slice(call[0].length), vars);
      if (text && /^\s*\)/.test(rest.slice(call[0].length + text.length)))
        found.push({
          id: `${name}#${found.length}`,
          text: text.value,
          want: want.value,
          divergence: patched.has(name) ? PATCHED : null,
        });
    }
    if (found.length > 0) out.set(name, found);
  }
  return out;
}

export function talonSet(root: string, role: Role): SetReport | null {
  const file = path.join(root, 'mailgun+talon/tests/text_quotations_test.py');
  if (!existsSync(file)) return null;
  const byTest = cases(readFileSync(file, 'utf8'));
  const names = half([...byTest.keys()].sort(), role);
  const fields: Record<string, FieldScore> = {};
  let n = 0;
  for (const c of names.flatMap((k) => byTest.get(k)!)) {
    n++;
    const got = ws(extractReply(c.text).replyWithSignature);
    const want = ws(c.want);
    score(
      fields,
      'reply (quote removed) exact',
      got === want,
      c.id,
      `expected ${JSON.stringify(want.slice(0, 80))} got ${JSON.stringify(got.slice(0, 80))}`,
      c.divergence,
    );
  }
  return { set: 'mailgun/talon (inline cases)', role, cases: n, fields };
}
