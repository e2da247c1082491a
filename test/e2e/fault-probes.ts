// What the fault suite reads from the outside after each fault: Inlet's HTTP API, the rows stored
// for the mailbox, jobs that are stuck in graphile-worker, and /readyz sampled while a fault lasts.
import { readyz } from '../helpers/fault.js';
import { query } from '../helpers/pausable-postgres.js';

export async function httpApi<T = unknown>(
  port: number,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text) as T,
  };
}

export async function storedCounts(
  url: string,
  mailboxId: string,
): Promise<{ messages: number; distinct: number; deliveries: number }> {
  const [r] = await query<{ m: number; d: number; dl: number }>(
    url,
    `SELECT (SELECT count(*)::int FROM messages WHERE mailbox_id = $1 AND direction = 'inbound') AS m,
            (SELECT count(DISTINCT message_id_bidx)::int FROM messages WHERE mailbox_id = $1 AND direction = 'inbound') AS d,
            (SELECT count(*)::int FROM message_deliveries WHERE mailbox_id = $1) AS dl`,
    [mailboxId],
  );
  return { messages: r!.m, distinct: r!.d, deliveries: r!.dl };
}

export async function stuckJobs(url: string): Promise<number> {
  const rows = await query<{
    task_identifier: string;
    attempts: number;
    max_attempts: number;
    locked_at: Date | null;
    run_at: Date;
    last_error: string | null;
  }>(
    url,
    `SELECT task_identifier, attempts, max_attempts, locked_at, run_at, left(last_error, 200) AS last_error FROM graphile_worker.jobs
      WHERE (locked_at IS NOT NULL AND locked_at < now() - interval '60 seconds')
         OR (locked_at IS NULL AND run_at < now() - interval '60 seconds' AND attempts < max_attempts)
         OR (locked_at IS NULL AND attempts >= max_attempts)`,
  );
  if (rows.length > 0) console.log('stuck jobs:', JSON.stringify(rows));
  return rows.length;
}

/** While `during` runs, samples /readyz; returns how many samples were taken and how many said ready. */
export async function sampleReadyz(
  port: number,
  during: Promise<unknown>,
): Promise<{ samples: number; ready: number }> {
  let done = false;
  void during.finally(() => {
    done = true;
  });
  const out = { samples: 0, ready: 0 };
  while (!done) {
    const r = await readyz(port, 1000);
    out.samples++;
    if (r.status === 200) out.ready++;
    await new Promise((res) => setTimeout(res, 200));
  }
  return out;
}
