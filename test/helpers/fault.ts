// Small tools the fault-injection suite (test/e2e/fault-*.test.ts) shares: polling with a deadline
// (never a fixed sleep as an assertion), /readyz with a timeout, and the processes' JSON log lines.
export async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 200,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      if (await check()) return Date.now() - start;
    } catch {
      // a paused dependency: try again
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function readyz(
  port: number,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: 0, body: null };
  }
}

export interface LogLine {
  level: number;
  msg?: string;
  [k: string]: unknown;
}

/** pino JSON lines of a process's output (other lines skipped). */
export function logLines(output: string): LogLine[] {
  return output.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });
}
