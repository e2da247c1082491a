// The chosen extractor must get at least 90 % of each corpus set's explicit expectations right
// (bench/reply-bench.ts shows how the other candidates compare).
import { describe, expect, it } from 'vitest';

import { inletCandidate } from '../../bench/reply-bench.js';
import { loadReplyCorpus, REPLY_SETS, replyCorpusRoot, scoreCandidate } from './reply-corpus.js';

const root = replyCorpusRoot();

describe.skipIf(root === null)(
  'reply extraction on the shared corpora (skipped: ../shared/corpus not found)',
  () => {
    it.each(REPLY_SETS)('%s: at least 90 % of explicit cases match', async (set) => {
      const cases = (await loadReplyCorpus(root ?? '')).filter((c) => c.set === set);
      expect(cases.length).toBeGreaterThan(5);
      const score = scoreCandidate(inletCandidate, cases).find((s) => s.set === set);
      expect(score, `failures: ${score?.failures.join(', ')}`).toBeDefined();
      expect(
        score!.passed / score!.total,
        `failures: ${score!.failures.join(', ')}`,
      ).toBeGreaterThanOrEqual(0.9);
    });
  },
);
