// A real clamd for integration tests, run from a throw-away config in a temp dir. Its database is
// one MD5 signature of the EICAR file, made here with `sigtool --md5` (no freshclam, no network),
// so clamd starts in ~0.1 s and reports EICAR as `<file>.UNOFFICIAL FOUND`. Each handle has its own
// dir and port, so several test files can run clamd at once. No `User` line: clamd then runs as
// whoever started it (root in CI) and needs nothing under /var/run/clamav or /var/lib/clamav.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

import { freePort } from '../../src/lib/free-port.js';
import { makeClamdScanner } from '../../src/scanner/clamd-scanner.js';
import { eicarBytes } from './eicar.js';

const run = promisify(execFile);

export interface ClamdOptions {
  /** clamd SIZE values ("30M", "512K"). Defaults: stream 30M, file 25M, scan 100M. */
  streamMaxLength?: string;
  maxFileSize?: string;
  maxScanSize?: string;
  /** clamd's ReadTimeout in seconds, which also ends idle IDSESSION connections. Default 120 (clamd's). */
  readTimeoutS?: number;
  /** How long to wait for the first PONG. Default 30 s. */
  startTimeoutMs?: number;
  /**
   * Put clamd's TemporaryDirectory on tmpfs (/dev/shm) when there is one, as we recommend for
   * production (see clamdConf). Default true; false keeps it under the OS temp dir, for comparison.
   */
  tmpfsTemp?: boolean;
  /**
   * Turn off clamd's cache of clean-file hashes (`DisableCache yes`). Benchmarks that scan the same
   * corpus several times use it: otherwise every round after the first is answered from the cache.
   */
  disableCache?: boolean;
  /** More clamd.conf lines (`ScanImageFuzzyHash no`), for benches comparing clamd settings. */
  extraConfig?: string[];
}

export interface ClamdHandle {
  host: string;
  port: number;
  dir: string;
  /** clamd's TemporaryDirectory (on tmpfs unless tmpfsTemp was false or there is none). */
  tempDir: string;
  /** Signature name clamd reports for eicarBytes(), e.g. `eicar-test-file.UNOFFICIAL`. */
  eicarSignature: string;
  /** Pid of the running clamd, undefined while stopped. */
  readonly pid: number | undefined;
  /** Milliseconds from the last spawn to the first PONG. */
  readonly startupMs: number;
  /** Start again on the same port and database (after stop()). */
  start(): Promise<void>;
  /** Stop clamd and wait until the process is gone; the dir stays for start(). */
  stop(): Promise<void>;
  /** stop() and remove the temp dir. */
  dispose(): Promise<void>;
}

const EICAR_FILE = 'eicar-test-file';

function findBinary(name: string): string | null {
  // clamd lives in /usr/sbin, which is not on every user's PATH.
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

// Operators: point clamd's TemporaryDirectory at a tmpfs. clamd writes every INSTREAM to a temp
// file there and makes (and removes) a per-scan `scantemp` directory, more for PDFs and archives;
// on ext4 that create/mkdir/unlink traffic was 10-35% of clamd's CPU per 2-200 KB attachment
// (bench/clamd-bench.ts). Size it for MaxThreads × (StreamMaxLength + what MaxScanSize lets clamd
// unpack); nothing there needs to survive a restart.
function clamdConf(dir: string, tempDir: string, port: number, opts: ClamdOptions): string {
  return [
    'Foreground yes',
    `TCPSocket ${port}`,
    'TCPAddr 127.0.0.1',
    `DatabaseDirectory ${join(dir, 'db')}`,
    `TemporaryDirectory ${tempDir}`,
    `LogFile ${join(dir, 'clamd.log')}`,
    `PidFile ${join(dir, 'clamd.pid')}`,
    `StreamMaxLength ${opts.streamMaxLength ?? '30M'}`,
    `MaxFileSize ${opts.maxFileSize ?? '25M'}`,
    `MaxScanSize ${opts.maxScanSize ?? '100M'}`,
    // Without these, content over a limit comes back "OK" (docs/security-controls.md#scanner-limits).
    'AlertExceedsMax yes',
    'AlertEncrypted yes',
    'MaxThreads 4',
    `ReadTimeout ${opts.readTimeoutS ?? 120}`,
    ...(opts.disableCache ? ['DisableCache yes'] : []),
    ...(opts.extraConfig ?? []),
    '',
  ].join('\n');
}

async function logTail(dir: string): Promise<string> {
  const log = await readFile(join(dir, 'clamd.log'), 'utf8').catch(() => '');
  return log.trim().split('\n').slice(-3).join(' / ');
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort: a test file that crashes or forgets stop() must not leave clamd running.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const gone = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
  ]);
  if (!gone) {
    child.kill('SIGKILL');
    await exited(child);
  }
  live.delete(child);
}

/** Spawns clamd and waits for PONG; throws with clamd's last log lines if it dies or stays silent. */
async function launch(
  bin: string,
  dir: string,
  port: number,
  timeoutMs: number,
): Promise<ChildProcess> {
  const child = spawn(bin, ['-c', join(dir, 'clamd.conf')], { stdio: 'ignore' });
  live.add(child);
  const probe = makeClamdScanner({ host: '127.0.0.1', port, timeoutMs: 500, maxStreamBytes: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `clamd exited (${child.exitCode ?? child.signalCode}) before answering: ${await logTail(dir)}`,
        );
      }
      if (await probe.ping()) return child;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `clamd did not answer PING on port ${port} within ${timeoutMs} ms: ${await logTail(dir)}`,
    );
  } catch (err) {
    await kill(child);
    throw err;
  }
}

/** clamd's TemporaryDirectory: on tmpfs when asked and /dev/shm is usable, else inside `dir`. */
async function makeTempDir(dir: string, tmpfs: boolean): Promise<string> {
  if (tmpfs) {
    try {
      const shm = await mkdtemp(join('/dev/shm', 'inlet-clamd-tmp-'));
      dirs.add(shm);
      return shm;
    } catch {
      // no /dev/shm (macOS, some containers): fall back to disk
    }
  }
  await mkdir(join(dir, 'tmp'));
  return join(dir, 'tmp');
}

async function removeDirs(...paths: string[]): Promise<void> {
  for (const p of paths) {
    await rm(p, { recursive: true, force: true });
    dirs.delete(p);
  }
}

/** Starts a private clamd, or returns null (saying why, in one line) when ClamAV is not installed. */
export async function startClamd(opts: ClamdOptions = {}): Promise<ClamdHandle | null> {
  const clamd = findBinary('clamd');
  const sigtool = findBinary('sigtool');
  if (!clamd || !sigtool) {
    console.warn(
      `clamd tests skipped: ${clamd ? 'sigtool' : 'clamd'} not found (Debian: apt-get install clamav-daemon clamav)`,
    );
    return null;
  }
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'inlet-clamd-'));
  dirs.add(dir);
  await mkdir(join(dir, 'db'));
  const tempDir = await makeTempDir(dir, opts.tmpfsTemp ?? true);
  await writeFile(join(dir, EICAR_FILE), eicarBytes());
  const { stdout } = await run(sigtool, ['--md5', EICAR_FILE], { cwd: dir });
  await writeFile(join(dir, 'db', 'test.hdb'), stdout);
  const timeoutMs = opts.startTimeoutMs ?? 30_000;

  let child: ChildProcess | undefined;
  let port = 0;
  let startupMs = 0;
  // The free port can be taken between our probe and clamd's bind; try a few.
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    await writeFile(join(dir, 'clamd.conf'), clamdConf(dir, tempDir, port, opts));
    const t0 = performance.now();
    try {
      child = await launch(clamd, dir, port, timeoutMs);
      startupMs = performance.now() - t0;
    } catch (err) {
      if (attempt >= 3) {
        await removeDirs(dir, tempDir);
        throw err;
      }
    }
  }

  const handle: ClamdHandle = {
    host: '127.0.0.1',
    port,
    dir,
    tempDir,
    eicarSignature: `${EICAR_FILE}.UNOFFICIAL`,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    get startupMs() {
      return startupMs;
    },
    async start() {
      if (handle.pid !== undefined) return;
      const t0 = performance.now();
      child = await launch(clamd, dir, port, timeoutMs);
      startupMs = performance.now() - t0;
    },
    async stop() {
      if (child) await kill(child);
    },
    async dispose() {
      await handle.stop();
      await removeDirs(dir, tempDir);
    },
  };
  return handle;
}
