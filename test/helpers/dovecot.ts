// A real Dovecot 2.3 IMAP server for integration tests, run from a throw-away config in a temp dir.
// Users come from one passwd-file per user (found per login, so addUser works while running) and map to
// one static uid (nobody) that owns the temp maildirs; Dovecot refuses uid 0 for mail access.
// Each harness has its own dir, port and instance name, so several can run at once.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ImapFlow } from 'imapflow';

import { freePort } from '../../src/lib/free-port.js';
import { dovecotConfig, MAIL_GID, MAIL_UID } from './dovecot-config.js';

const DOVECOT_BIN = '/usr/sbin/dovecot';
const DOVEADM_BIN = '/usr/bin/doveadm';
const run = promisify(execFile);

export interface DovecotHandle {
  host: string;
  port: number;
  /** Implicit-TLS port with a self-signed cert (only when started with `{ tls: true }`). */
  tlsPort: number | null;
  /** PEM of the self-signed certificate, to trust it explicitly in TLS tests. */
  certPem: string | null;
  dir: string;
  /** Milliseconds from spawn to the first IMAP greeting. */
  startupMs: number;
  addUser(user: string, password: string): Promise<void>;
  append(
    user: string,
    folder: string,
    raw: Buffer,
    flags?: string[],
    date?: Date,
  ): Promise<{ uid: number; uidValidity: bigint }>;
  createFolder(user: string, folder: string): Promise<void>;
  /** Give the folder a new UIDVALIDITY (what a server restore or mailbox rebuild does); returns the new value. */
  resetUidValidity(user: string, folder: string): Promise<bigint>;
  uidValidity(user: string, folder: string): Promise<bigint>;
  /** Disconnects the user's IMAP sessions (what a server restart or an idle timeout does). */
  kick(user: string): Promise<void>;
  /** Raw messages currently in the folder (for assertions about APPEND to Sent, flags etc.). */
  list(user: string, folder: string): Promise<{ uid: number; flags: string[]; raw: Buffer }[]>;
  stop(): Promise<void>;
}

const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort: a test run that crashes must not leave Dovecot listening.
  process.on('exit', () => {
    for (const [child, dir] of live) {
      child.kill('SIGKILL'); // Dovecot's children exit by themselves when the master is gone
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function waitForGreeting(port: number, deadline: number, child: ChildProcess): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = netConnect(port, '127.0.0.1');
      sock.setTimeout(500, () => {
        sock.destroy();
        resolve(false);
      });
      sock.once('data', (d) => {
        sock.destroy();
        resolve(d.toString().startsWith('* OK'));
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('dovecot did not answer within the deadline');
}

/** Starts Dovecot, or returns null (after printing one line saying why) when it is not installed. */
export async function startDovecot(opts: { tls?: boolean } = {}): Promise<DovecotHandle | null> {
  if (!existsSync(DOVECOT_BIN)) {
    console.warn(`[dovecot] skipped: ${DOVECOT_BIN} not found (apt-get install dovecot-imapd)`);
    return null;
  }
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'inlet-dovecot-'));
  await chmod(dir, 0o755); // the mail uid must traverse it
  await mkdir(join(dir, 'run'));
  await mkdir(join(dir, 'state'));
  await mkdir(join(dir, 'mail'));
  await chown(join(dir, 'mail'), MAIL_UID, MAIL_GID);
  await mkdir(join(dir, 'users'));

  let tls: { port: number; cert: string; key: string } | null = null;
  let certPem: string | null = null;
  if (opts.tls) {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    tls = { port: await freePort(), cert, key };
    certPem = readFileSync(cert, 'utf8');
  }
  const port = await freePort();
  const confPath = join(dir, 'dovecot.conf');
  await writeFile(confPath, dovecotConfig(dir, port, tls));

  const started = Date.now();
  const child = spawn(DOVECOT_BIN, ['-F', '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.set(child, dir);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  try {
    await waitForGreeting(port, Date.now() + 10_000, child);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}: ${stderr.trim().slice(0, 500)}`, { cause: err });
  }
  const startupMs = Date.now() - started;

  const users = new Map<string, string>();
  const withClient = async <T>(user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const pass = users.get(user);
    if (pass === undefined) throw new Error(`unknown test user ${user}`);
    const c = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user, pass },
      logger: false,
    });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => c.close());
    }
  };
  const doveadm = async (args: string[]): Promise<string> =>
    (await run(DOVEADM_BIN, ['-c', confPath, ...args])).stdout;
  const uidValidity = async (user: string, folder: string): Promise<bigint> => {
    const out = await doveadm([
      '-f',
      'flow',
      'mailbox',
      'status',
      '-u',
      user,
      'uidvalidity',
      folder,
    ]);
    const m = /uidvalidity=(\d+)/.exec(out);
    if (!m?.[1]) throw new Error(`doveadm gave no uidvalidity: ${out}`);
    return BigInt(m[1]);
  };

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    tlsPort: tls?.port ?? null,
    certPem,
    dir,
    startupMs,
    async addUser(user, password) {
      if (!/^[a-z0-9._@+-]+$/.test(user) || /\n/.test(password))
        throw new Error('user/password not representable in passwd-file');
      if (users.has(user)) throw new Error(`test user ${user} exists already`);
      users.set(user, password);
      // One passwd-file per user: Dovecot checks a passwd-file for changes at most once per second,
      // so users appended to a shared file can stay unknown for up to a second.
      await writeFile(join(dir, 'users', user), `${user}:{PLAIN}${password}\n`, { mode: 0o644 });
    },
    async append(user, folder, raw, flags = [], date) {
      return await withClient(user, async (c) => {
        const res = await c.append(folder, raw, flags, date);
        if (!res || !res.uid || res.uidValidity === undefined)
          throw new Error('APPEND gave no UIDPLUS answer');
        return { uid: res.uid, uidValidity: res.uidValidity };
      });
    },
    async createFolder(user, folder) {
      await withClient(user, async (c) => {
        await c.mailboxCreate(folder);
      });
    },
    async resetUidValidity(user, folder) {
      const before = await uidValidity(user, folder);
      // Any value other than the current one will do; keep it a valid non-zero 32-bit number.
      const next = before >= 0xfffffff0n ? 1n : before + 7n;
      await doveadm(['mailbox', 'update', '-u', user, '--uid-validity', next.toString(), folder]);
      const after = await uidValidity(user, folder);
      if (after === before) throw new Error('UIDVALIDITY did not change');
      return after;
    },
    uidValidity,
    async kick(user) {
      // doveadm exits 68 when the user has no session at that moment (one just dropped is still
      // reconnecting): nothing to drop is not a failure of the harness.
      await doveadm(['kick', user]).catch((err: { code?: number }) => {
        if (err.code !== 68) throw err;
      });
    },
    async list(user, folder) {
      return await withClient(user, async (c) => {
        const lock = await c.getMailboxLock(folder, { readOnly: true });
        try {
          if (!c.mailbox || c.mailbox.exists === 0) return [];
          const msgs = await c.fetchAll('1:*', { uid: true, flags: true, source: true });
          return msgs.map((m) => ({
            uid: m.uid,
            flags: [...(m.flags ?? [])],
            raw: m.source ?? Buffer.alloc(0),
          }));
        } finally {
          lock.release();
        }
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
