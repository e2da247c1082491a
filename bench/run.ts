// `npm run bench`: every benchmark in turn, each printing its figures and ratios. They run as separate
// processes so one's heap and JIT state do not colour the next one's numbers.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
// `npm run bench -- soak --mailboxes 50`: names pick benches, --flags go to each of them.
const args = process.argv.slice(2);
const flagAt = args.findIndex((a) => a.startsWith('--'));
const only = flagAt === -1 ? args : args.slice(0, flagAt);
const flags = flagAt === -1 ? [] : args.slice(flagAt);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('-bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', path.join(dir, file), ...flags],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) failed++;
}
if (failed > 0) {
  console.error(`\n${failed} benchmark(s) missed their target`);
  process.exit(1);
}
