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
  children?: number[];
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

/**
 * Which part of the one bench process a frame works for: the push API (Fastify and the push
 * receiver), the worker (graphile-worker, the sync, Gmail reads, the pipeline) or the bench itself.
 * Shared code (the database layer, the logger, crypto, Node) says nothing: the caller decides.
 */
function role(where: string): string | null {
  if (where.startsWith('bench/')) return 'bench (load, polling, meters)';
  if (
    /^src\/(http|app\.ts)|gmail-push-receiver|gmail-push\.ts/.test(where) ||
    /^pkg:(fastify|@fastify\/|find-my-way|avvio|light-my-request|jose)/.test(where)
  )
    return 'API (push request)';
  if (
    /^src\/(sync|ingest|jobs|main\/worker|providers|tickets|scanner)\//.test(where) ||
    /^pkg:(graphile-worker|@googleapis\/|googleapis-common|gaxios|node-fetch|mailparser|@zone-eu\/|libmime|iconv-lite|html-to-text|encoding-japanese)/.test(
      where,
    )
  )
    return 'worker (job fetch, sync, pipeline)';
  return null;
}

/** Self time by role: each sample goes to the nearest frame on its stack that has one. Stacks that
 *  start from a socket read or a timer (a reply's parsing, pg's result rows) have none of ours and
 *  are shown by what they ran. */
export function byRole(p: Profile): Map<string, number> {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const memo = new Map<number, string>();
  const roleOf = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    const { functionName, url } = nodes.get(id)!.callFrame;
    const where = place(url, functionName);
    const up = parent.get(id);
    const r =
      role(where) ??
      (up !== undefined && nodes.get(up)!.callFrame.functionName !== '(root)'
        ? roleOf(up)
        : `no caller of ours: ${/^pkg:(pg|pg-protocol|pg-pool)$/.test(where) ? 'database driver' : /^\(|^$/.test(where) ? where || '(native)' : 'node or other'}`);
    memo.set(id, r);
    return r;
  };
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const r = roleOf(id);
    out.set(r, (out.get(r) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  });
  return out;
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
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const { byPlace, byFunction, totalUs } = summarise(profile);
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
  show(
    `sampled ${(totalUs / 1000).toFixed(0)} ms; by role (the nearest frame of ours on the stack):`,
    byRole(profile),
  );
  show('by package or file:', byPlace);
  show('by function:', byFunction);
}
