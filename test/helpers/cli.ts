// Runs the real `inlet` CLI (TypeScript through tsx) as a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { localMailEnv } from './local-mail.js';
import { operatorKey } from './tenants.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The environment of an `inlet` process in a multi-process test on local mail: test mode, the
 * test's keyring and the operator key, no clamd (attachments stay pending) and the local mail
 * servers allowed. `env` adds what the test is about (database, lease length, concurrency, port)
 * and may override any of these.
 */
export function localProcessEnv(
  keyring: string,
  env: Record<string, string>,
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    INLET_MASTER_KEYS: keyring,
    INLET_OPERATOR_KEY: operatorKey,
    CLAMD_PORT: '1',
    ...localMailEnv,
    ...env,
  };
}

export function runCli(args: string[], env: Record<string, string>): CliProcess {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !['DATABASE_URL', 'PORT', 'NODE_ENV', 'INLET_DATA_DIR'].includes(k),
    ),
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'src/main/cli.ts'), ...args],
    {
      cwd: repoRoot,
      env: { ...clean, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGKILLs every process that is still running and waits until each has exited (test teardown). */
export async function killAll(procs: CliProcess[]): Promise<void> {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}
