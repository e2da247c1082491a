// The corpus report as the table `npm run corpus` prints: per set, files that passed, hit a limit,
// ran slow or crashed; Zammad field agreement (plain and with divergent cases left out); sisimai
// bounce detection; and the slowest and missed files.
import type { CorpusReport, FileResult } from './run-corpus.js';
import { zammadFields } from './zammad-expect.js';

const pct = (a: number, b: number) => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}%`);
export const ratio = (t: { agree: number; total: number }) =>
  t.total === 0 ? 1 : t.agree / t.total;
export const adjustedRatio = (t: { agree: number; total: number; divergent: number }) =>
  t.total - t.divergent === 0 ? 1 : t.agree / (t.total - t.divergent);

export function formatReport(r: CorpusReport, opts: { misses?: number } = {}): string {
  const lines: string[] = [
    `parser: ${r.parser}   files: ${r.files.length}   total ${(r.totalMs / 1000).toFixed(1)} s   peak RSS ${r.peakRssMB.toFixed(0)} MB`,
  ];
  lines.push(
    '',
    '| set | files | ok | limit | slow | crash | max ms | max heap MB |',
    '|---|---|---|---|---|---|---|---|',
  );
  const sets = [...new Set(r.files.map((f) => f.file.set))];
  for (const set of sets) {
    const fs = r.files.filter((f) => f.file.set === set);
    const n = (o: FileResult['outcome']) => fs.filter((f) => f.outcome === o).length;
    lines.push(
      `| ${set} | ${fs.length} | ${n('ok')} | ${n('limit')} | ${n('slow')} | ${n('crash')} | ${Math.max(...fs.map((f) => f.ms)).toFixed(0)} | ${Math.max(...fs.map((f) => f.heapMB)).toFixed(0)} |`,
    );
  }
  lines.push(
    '',
    `Zammad agreement (${r.zammadFiles} files; "adjusted" leaves out reviewed divergences, see zammad-expect.ts)`,
  );
  lines.push(
    '| field | agree | total | raw % | divergent | adjusted % |',
    '|---|---|---|---|---|---|',
  );
  for (const f of zammadFields) {
    const t = r.zammad[f];
    lines.push(
      `| ${f} | ${t.agree} | ${t.total} | ${pct(t.agree, t.total)} | ${t.divergent} | ${pct(t.agree, t.total - t.divergent)} |`,
    );
  }
  const s = r.sisimai;
  lines.push(
    '',
    `sisimai: bounces classified as bounce ${s.asBounce}/${s.bounces} (${pct(s.asBounce, s.bounces)}); vacation/feedback not human ${s.otherNotHuman}/${s.other}; recipient status found ${pct(s.statusAgree, s.statusTotal)} (${pct(s.rfcStatusAgree, s.rfcStatusTotal)} of the ${s.rfcStatusTotal} that are RFC 3463 codes, not sisimai's own x.0.9xx)`,
  );
  for (const [name, t] of Object.entries(r.stages))
    lines.push(`stage ${name}: ${t.pass}/${t.total} (${pct(t.pass, t.total)})`);
  const bad = r.files.filter((f) => f.outcome !== 'ok');
  if (bad.length)
    lines.push(
      '',
      'not ok:',
      ...bad.map((f) => `  ${f.outcome} ${f.file.rel} ${f.ms.toFixed(0)} ms ${f.error ?? ''}`),
    );
  const n = opts.misses ?? 0;
  if (n > 0) {
    for (const f of zammadFields)
      for (const m of r.zammad[f].misses.slice(0, n))
        lines.push(
          `  zammad ${f}: expected ${JSON.stringify(m.expected)} got ${JSON.stringify(m.got)}`,
        );
    for (const m of s.misses.slice(0, n)) lines.push(`  sisimai miss: ${m}`);
  }
  return lines.join('\n');
}
