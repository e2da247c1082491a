// Reply-extraction candidates measured on the shared corpora: per-set accuracy and throughput.
// `npx tsx bench/reply-bench.ts` prints the table; runReplyBench() is what a bench runner calls.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

import EmailReplyParser from 'email-reply-parser';
import { parseHTML } from 'linkedom';

import { extractReply, extractReplyFromHtml } from '../src/ingest/stages/extract-reply.js';
import { htmlToText } from '../src/ingest/stages/html-to-text.js';
import type {
  CandidateOutput,
  ReplyCandidate,
  ReplyCase,
  SetScore,
} from '../test/corpus/reply-corpus.js';
import { loadReplyCorpus, replyCorpusRoot, scoreCandidate } from '../test/corpus/reply-corpus.js';

// planer ships no types; this is the one function it exports that we call.
const planer = createRequire(import.meta.url)('planer') as {
  extractFrom(body: string, type: string, doc?: unknown): string;
};

function crispOutput(text: string): CandidateOutput {
  const email = new EmailReplyParser().read(text);
  const kept = email
    .getFragments()
    .filter((f) => !f.isQuoted() && (!f.isHidden() || f.isSignature()));
  return {
    reply: email.getVisibleText(),
    replyWithSignature: kept.map((f) => f.toString()).join('\n'),
  };
}

export const crispCandidate: ReplyCandidate = {
  name: 'email-reply-parser (crisp)',
  fromText: crispOutput,
  fromHtml: (html) => crispOutput(htmlToText(html)),
};

export const planerCandidate: ReplyCandidate = {
  name: 'planer (talon port)',
  fromText: (text) => {
    const reply = planer.extractFrom(text, 'text/plain');
    return { reply, replyWithSignature: reply };
  },
  fromHtml: (html) => {
    const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>');
    const reply = htmlToText(planer.extractFrom(html, 'text/html', document));
    return { reply, replyWithSignature: reply };
  },
};

export const inletCandidate: ReplyCandidate = {
  name: 'inlet extract-reply',
  fromText: (text) => {
    const r = extractReply(text);
    return { reply: r.reply, replyWithSignature: r.replyWithSignature };
  },
  fromHtml: (html) => {
    const r = extractReplyFromHtml(html);
    return { reply: r.reply, replyWithSignature: r.replyWithSignature };
  },
};

export const replyCandidates: ReplyCandidate[] = [crispCandidate, planerCandidate, inletCandidate];

export interface CandidateResult {
  candidate: string;
  sets: SetScore[];
  /** Messages per second over every corpus input, text and HTML, after a warm-up pass. */
  messagesPerSecond: number;
  /** Prefixes of the 767 KB GitHub long-quote fixture: milliseconds for one extraction per size. */
  longQuoteMs: { bytes: number; ms: number }[];
}

function throughput(candidate: ReplyCandidate, cases: ReplyCase[]): number {
  const run = (): void => {
    for (const c of cases) {
      try {
        if (c.format === 'html') candidate.fromHtml(c.input);
        else candidate.fromText(c.input);
      } catch {
        // a throwing candidate is scored by the accuracy pass; here only time counts
      }
    }
  };
  run();
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < 1000) {
    run();
    done += cases.length;
  }
  return done / ((performance.now() - start) / 1000);
}

export async function runReplyBench(): Promise<CandidateResult[] | null> {
  const root = replyCorpusRoot();
  if (root === null) return null;
  const cases = await loadReplyCorpus(root);
  const { readFileSync } = await import('node:fs');
  const longQuote = readFileSync(
    `${root}/github_email_reply_parser/test/emails/email_long_quote.txt`,
    'utf8',
  );
  return replyCandidates.map((candidate) => ({
    candidate: candidate.name,
    sets: scoreCandidate(candidate, cases),
    messagesPerSecond: throughput(candidate, cases),
    longQuoteMs: longQuoteTimes(candidate, longQuote),
  }));
}

// One candidate's time grows faster than linearly on this input (minutes for the whole file),
// so sizes double only while the previous size stayed under a budget.
function longQuoteTimes(candidate: ReplyCandidate, text: string): { bytes: number; ms: number }[] {
  const times: { bytes: number; ms: number }[] = [];
  for (let bytes = 25_000; ; bytes = Math.min(bytes * 2, text.length)) {
    const t0 = performance.now();
    try {
      candidate.fromText(text.slice(0, bytes));
    } catch {
      // timing only; accuracy is scored elsewhere
    }
    const ms = performance.now() - t0;
    times.push({ bytes, ms });
    if (bytes >= text.length || ms > 1000) return times;
  }
}

function printTable(results: CandidateResult[]): void {
  const sets = results[0]?.sets.map((s) => s.set) ?? [];
  console.log(`| candidate | ${sets.join(' | ')} | msgs/s | long quote (prefix: ms) |`);
  console.log(`|---|${sets.map(() => '---').join('|')}|---|---|`);
  for (const r of results) {
    const cells = r.sets.map(
      (s) =>
        `${s.passed}/${s.total} (${((100 * s.passed) / Math.max(1, s.total)).toFixed(1)}%)` +
        (s.divergent.length > 0
          ? `, ${s.divergent.length} reviewed divergence: ${((100 * s.passed) / Math.max(1, s.total - s.divergent.length)).toFixed(1)}% adjusted`
          : ''),
    );
    console.log(
      `| ${r.candidate} | ${cells.join(' | ')} | ${r.messagesPerSecond.toFixed(0)} | ${r.longQuoteMs.map((t) => `${Math.round(t.bytes / 1000)} KB: ${t.ms.toFixed(0)}`).join(', ')} |`,
    );
  }
  if (process.argv.includes('--failures')) {
    for (const r of results)
      for (const s of r.sets)
        if (s.failures.length + s.divergent.length > 0)
          console.log(
            `${r.candidate} / ${s.set}: ${s.failures.join(', ')}${s.divergent.length > 0 ? ` (reviewed divergence, closing and name kept: ${s.divergent.join(', ')})` : ''}`,
          );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runReplyBench();
  if (results === null) console.log('reply bench skipped: ../shared/corpus not found');
  else printTable(results);
}
