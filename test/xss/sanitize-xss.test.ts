// Everything the sanitiser emits is parsed again by a DOM parser and searched for anything a
// browser would execute or fetch. Inputs: every HTML body in the shared corpora plus a generated
// hostile set. A second sanitising pass must change nothing (catches mutation XSS).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';

import { sanitizeEmailHtml } from '../../src/ingest/stages/sanitize-html.js';
import { findCorpus } from '../corpus/run-corpus.js';
import { hostileHtml } from './hostile-html.js';
import { CID_PREFIX, findProblems } from './html-problems.js';

const opts = { cidUrl: (cid: string) => (cid === 'logo@mail' ? `${CID_PREFIX}a1/content` : null) };

function findMail(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findMail(path, out);
    else if (/\.(?:eml|box|html)$/i.test(entry.name) && statSync(path).size < 5_000_000)
      out.push(path);
  }
  return out;
}

const found = findCorpus();
const corpusRoot = 'dir' in found ? found.dir : '';
const hasCorpus = (() => {
  try {
    return statSync(corpusRoot).isDirectory();
  } catch {
    return false;
  }
})();

function check(name: string, input: string): string[] {
  const first = sanitizeEmailHtml(input, opts);
  const second = sanitizeEmailHtml(first.html, opts);
  const problems = findProblems(first.html).map((p) => `${name}: ${p}`);
  if (second.html !== first.html) problems.push(`${name}: not idempotent`);
  if (second.remoteImagesBlocked !== first.remoteImagesBlocked)
    problems.push(`${name}: blocked count changed on second pass`);
  return problems;
}

describe('sanitizeEmailHtml against hostile HTML', () => {
  const cases = hostileHtml();

  it(`leaves nothing executable in ${cases.length} hostile inputs, and a second pass changes nothing`, () => {
    expect(cases.length).toBeGreaterThan(1000);
    const problems = cases.flatMap((html, i) => check(`hostile #${i} ${html.slice(0, 60)}`, html));
    expect(problems).toEqual([]);
  });

  it('returns no markup at all for a body nested too deep to sanitise', () => {
    const refused = cases
      .map((html) => sanitizeEmailHtml(html, opts))
      .filter((r) => r.refused !== null);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const r of refused)
      expect(r).toEqual({ html: '', remoteImagesBlocked: 0, refused: 'html_too_deep' });
  });

  it('the DOM check itself catches what it is meant to catch', () => {
    const problems = findProblems(
      '<img src=x onerror=alert(1)><a href="javascript:x">y</a><div style="background:url(x)"></div><svg></svg>',
    );
    expect(problems).toEqual([
      '<img src="x">',
      '<img onerror>',
      'href="javascript:x"',
      'link without rel',
      'style="background:url(x)"',
      'element <svg>',
    ]);
  });
});

describe.skipIf(!hasCorpus)(
  'sanitizeEmailHtml on corpus HTML bodies (skipped: ../shared/corpus not found)',
  () => {
    const bodies: { name: string; html: string }[] = [];

    beforeAll(async () => {
      for (const path of findMail(corpusRoot)) {
        const name = path.slice(corpusRoot.length + 1);
        if (path.endsWith('.html')) {
          bodies.push({ name, html: readFileSync(path, 'utf8') });
          continue;
        }
        try {
          const parsed = await simpleParser(readFileSync(path));
          if (typeof parsed.html === 'string' && parsed.html !== '')
            bodies.push({ name, html: parsed.html });
        } catch {
          // robustness of parsing is the parse stage's test; only bodies that parse are used here
        }
      }
    }, 120_000);

    it('finds HTML bodies to test', () => {
      expect(bodies.length).toBeGreaterThan(20);
    });

    it('leaves nothing executable in any corpus HTML body, and a second pass changes nothing', () => {
      const problems = bodies.flatMap((b) => check(b.name, b.html));
      expect(problems).toEqual([]);
    });
  },
);
