// `npx tsx bench/lib/clamd-by-type.ts`: clamd's CPU per scan for the corpus's distinct attachments,
// by sniffed type, as the pipeline bench scans them (16 in flight over kept-alive sessions, clamd's
// cache off). CLAMD_EXTRA='ScanImageFuzzyHash no' (clamd.conf lines, ';'-separated) compares a
// setting. Shows which content clamd's CPU per message is spent on, so a clamd figure is read as
// the scanner's work on these files rather than as the client's. CPU comes from /proc in 10 ms
// ticks, so a type with a few small files can read 0.
import { readFileSync } from 'node:fs';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { makeLimiter } from '../../src/lib/limiter.js';
import { makeClamdScanner } from '../../src/scanner/clamd-scanner.js';
import { findCorpus, listMessageFiles } from '../../test/corpus/run-corpus.js';
import { startClamd } from '../../test/helpers/clamd.js';

const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

const corpus = findCorpus();
if ('skip' in corpus) throw new Error(corpus.skip);
const messages = listMessageFiles(corpus.dir)
  .map((f) => readFileSync(f.abs))
  .filter((b) => b.length < 2 * 1024 * 1024);
const byType = new Map<string, Map<string, Buffer>>();
for (const raw of messages) {
  const p = await prepareMessage(raw, defaultIngestLimits).catch(() => null);
  for (const a of p?.attachments ?? []) {
    const t = a.sniffedType ?? 'unknown';
    const group = t.startsWith('image/') ? 'image/*' : t;
    if (!byType.has(group)) byType.set(group, new Map());
    byType.get(group)!.set(a.sha256, a.content);
  }
}
const extra = process.env.CLAMD_EXTRA?.split(';').filter((l) => l.trim() !== '') ?? [];
const clamd = await startClamd({ disableCache: true, extraConfig: extra });
if (!clamd?.pid) throw new Error('clamd is not installed');
const scanner = makeClamdScanner({
  host: clamd.host,
  port: clamd.port,
  timeoutMs: 60_000,
  maxStreamBytes: 30 * 2 ** 20,
});
const slots = makeLimiter(16);
const rounds = Math.max(1, Number(process.env.CLAMD_ROUNDS ?? 3));
console.log(
  `${messages.length} messages; clamd ${extra.length ? extra.join(', ') : 'as the tests run it'}; ${rounds} passes each`,
);
let perPass = 0;
try {
  for (const [type, parts] of [...byType].sort((a, b) => b[1].size - a[1].size)) {
    const list = [...parts.values()];
    const pass = () => Promise.all(list.map((p) => slots.run(() => scanner.scan(p))));
    await pass(); // warm-up
    const c0 = cpuMs(clamd.pid);
    for (let r = 0; r < rounds; r++) await pass();
    const ms = (cpuMs(clamd.pid) - c0) / rounds;
    perPass += ms;
    const bytes = list.reduce((s, b) => s + b.length, 0);
    console.log(
      `${type.padEnd(28)} ${String(list.length).padStart(4)} files ${String(bytes).padStart(8)} bytes  ${(ms / list.length).toFixed(2).padStart(6)} ms per scan  ${(ms / messages.length).toFixed(3)} ms per message`,
    );
  }
  console.log(`all: ${(perPass / messages.length).toFixed(2)} ms of clamd CPU per message`);
} finally {
  await scanner.close();
  await clamd.dispose();
}
