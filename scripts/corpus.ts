// `npm run corpus`: parse + classify every message in ../shared/corpus and print the agreement table.
// Flags: --parser=postal-mime to run the measurement adapter, --misses=N to list N misses per field,
// --set=zammad (repeatable) to restrict folders, --external=DIR (or INLET_EXTERNAL_CORPUS) to also
// score the public sets fetched outside the repo (test/corpus/external-sets.ts), --external-only to
// print just those. --misses lists tune-half misses only; --held-out-misses adds the held-out ones
// (for the final review, never while tuning).
import { postalMimeAdapter } from '../bench/postal-adapter.js';
import { mailparserAdapter } from '../src/ingest/stages/parse.js';
import { formatReport } from '../test/corpus/corpus-report.js';
import { formatExternal, runExternalSets } from '../test/corpus/external-sets.js';
import { findCorpus, runCorpus } from '../test/corpus/run-corpus.js';

const args = process.argv.slice(2);
const opt = (name: string) =>
  args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const misses = Number(opt('misses')[0] ?? 0);
const corpus = findCorpus();
if (args.includes('--external-only')) {
  // nothing from ../shared/corpus
} else if ('skip' in corpus) {
  console.log(`skipped: ${corpus.skip}`);
} else {
  const adapter = opt('parser')[0] === 'postal-mime' ? postalMimeAdapter : mailparserAdapter;
  const sets = opt('set');
  const report = await runCorpus({ dir: corpus.dir, adapter, ...(sets.length ? { sets } : {}) });
  console.log(formatReport(report, { misses }));
}
const external = opt('external')[0] ?? process.env.INLET_EXTERNAL_CORPUS;
if (external)
  console.log(
    formatExternal(await runExternalSets(external), misses, args.includes('--held-out-misses')),
  );
