// `npx tsx bench/lib/profile-summary.ts <file.cpuprofile> [messages] [rows]`: a V8 CPU profile
// (bench/lib/cpu-profile.ts, or node --cpu-prof) as self time by package or source file and by
// function, in ms per message when the pass's message count is given. Samples are wall time on
// the main thread: on a loaded machine a thread descheduled inside a system call (a socket write)
// is charged to that call, so compare shares, and take CPU totals from the bench's own figures.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: `pkg:<name>` for node_modules, the repo path for our files, else the frame's name. */
function place(url: string, fn: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `pkg:${pkg[1]}`;
  const own = /\/((?:src|bench|test)\/.*)$/.exec(url);
  if (own) return own[1]!;
  return url || fn;
}

export function summarise(p: Profile): {
  byPlace: Map<string, number>;
  byFunction: Map<string, number>;
  totalUs: number;
} {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i + 1] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const where = place(url, functionName);
    totalUs += us;
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  });
  return { byPlace, byFunction, totalUs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, messages, rows] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [messages] [rows]');
  const { byPlace, byFunction, totalUs } = summarise(JSON.parse(readFileSync(file, 'utf8')));
  const n = Number(messages ?? 0);
  const show = (title: string, m: Map<string, number>) => {
    console.log(title);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(rows ?? 25))) {
      const amount =
        n > 0 ? `${(us / 1000 / n).toFixed(3)} ms/msg` : `${(us / 1000).toFixed(0)} ms`;
      console.log(
        `${amount.padStart(14)} ${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${k}`,
      );
    }
  };
  show(`sampled ${(totalUs / 1000).toFixed(0)} ms; by package or file:`, byPlace);
  show('by function:', byFunction);
}
