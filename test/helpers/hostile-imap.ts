// A scripted IMAP server on 127.0.0.1 for hostile-response tests: it answers just enough of IMAP4rev1
// (LOGIN, EXAMINE/SELECT, UID SEARCH, UID FETCH, IDLE, LOGOUT) for imapflow to get to the command under
// test, and a test overrides any command's answer (or the greeting) with what a broken or malicious
// server would send. Real servers (Dovecot) cannot be made to misbehave like this.
import { createServer, type Server, type Socket } from 'node:net';

import { afterEach, beforeAll } from 'vitest';

import { setEgressPolicy } from '../../src/net/egress-guard.js';
import { type ImapProviderDeps, makeImapProvider } from '../../src/providers/imap/imap-provider.js';
import type { MailProvider } from '../../src/providers/mail-provider.js';
import { localMailPolicy } from './local-mail.js';

export interface Command {
  tag: string;
  /** Upper-cased command name, with "UID " kept: "UID FETCH", "EXAMINE". */
  name: string;
  args: string;
}

/** Returns true when it answered the command itself; false falls back to the default answer. */
export type Script = (cmd: Command, socket: Socket, state: SessionState) => boolean;

/** Per connection; a script may change it (a new UIDVALIDITY the next EXAMINE reports). */
export interface SessionState {
  uidValidity: number;
  /** Tag of the IDLE in progress, answered when the client sends DONE. */
  idleTag: string | null;
}

export interface HostileImap {
  host: string;
  port: number;
  /** Every command received, in order (for "what did the client ask"). */
  commands: Command[];
  /** Writes raw lines to every open connection (an unsolicited response during IDLE). */
  broadcast(text: string): void;
  close(): Promise<void>;
}

export interface HostileOptions {
  /** Written instead of the normal greeting; a function may keep writing (an endless line). */
  greeting?: (socket: Socket) => void;
  script?: Script;
  uidValidity?: number;
  uidNext?: number;
  /** UIDs UID SEARCH answers by default. */
  uids?: number[];
}

/** A message the default FETCH serves for any UID. */
export function testMail(uid: number): string {
  return `From: a@customer.test\r\nTo: support@example.test\r\nSubject: Hostile ${uid}\r\nMessage-ID: <h${uid}@customer.test>\r\n\r\nBody ${uid}\r\n`;
}

/**
 * A body FETCH that answers `uid` with a literal of `bytes` (past the client's cap) and then stops,
 * whatever its RFC822.SIZE said; the messages before it in the set get their default answer, so
 * only a FETCH that asks for that UID fails.
 */
export function literalOverCapAt(uid: number, bytes: number): Script {
  return (cmd, s) => {
    if (cmd.name !== 'UID FETCH' || !/BODY/i.test(cmd.args)) return false;
    const uids = (/^([\d,]+)/.exec(cmd.args)?.[1] ?? '').split(',').map(Number);
    for (const [i, u] of uids.entries()) {
      if (u === uid)
        return (void s.write(`* ${i + 1} FETCH (UID ${u} BODY[] {${bytes}}\r\n`), true);
      const mail = testMail(u);
      s.write(`* ${i + 1} FETCH (UID ${u} BODY[] {${Buffer.byteLength(mail)}}\r\n${mail})\r\n`);
    }
    s.write(`${cmd.tag} OK done\r\n`);
    return true;
  };
}

function parse(line: string): Command | null {
  const m = /^(\S+) (UID \S+|\S+) ?(.*)$/i.exec(line);
  if (!m?.[1] || !m[2]) return null;
  return { tag: m[1], name: m[2].toUpperCase(), args: m[3] ?? '' };
}

function defaults(
  cmd: Command,
  s: Socket,
  o: Required<Omit<HostileOptions, 'greeting' | 'script'>>,
  state: SessionState,
): void {
  const ok = (text = 'done') => s.write(`${cmd.tag} OK ${text}\r\n`);
  switch (cmd.name) {
    case 'CAPABILITY':
      s.write('* CAPABILITY IMAP4rev1 IDLE\r\n');
      return void ok();
    case 'EXAMINE':
    case 'SELECT':
      s.write(
        `* FLAGS (\\Seen)\r\n* ${o.uids.length} EXISTS\r\n* OK [UIDVALIDITY ${state.uidValidity}] ok\r\n` +
          `* OK [UIDNEXT ${o.uidNext}] ok\r\n`,
      );
      return void ok(cmd.name === 'EXAMINE' ? '[READ-ONLY] done' : '[READ-WRITE] done');
    case 'UID SEARCH':
      s.write(`* SEARCH ${o.uids.join(' ')}\r\n`);
      return void ok();
    case 'UID FETCH': {
      const set = /^([\d,:*]+)/.exec(cmd.args)?.[1] ?? '';
      const uids = set
        .split(',')
        .filter((u) => /^\d+$/.test(u))
        .map(Number);
      const wantsBody = /BODY/i.test(cmd.args);
      uids.forEach((uid, i) => {
        const mail = testMail(uid);
        s.write(
          wantsBody
            ? `* ${i + 1} FETCH (UID ${uid} BODY[] {${Buffer.byteLength(mail)}}\r\n${mail})\r\n`
            : `* ${i + 1} FETCH (UID ${uid} RFC822.SIZE ${mail.length} INTERNALDATE "24-Nov-2026 10:00:00 +0000" ENVELOPE (NIL "Hostile" NIL NIL NIL NIL NIL NIL NIL "<h${uid}@customer.test>"))\r\n`,
        );
      });
      return void ok();
    }
    case 'IDLE':
      state.idleTag = cmd.tag;
      return void s.write('+ idling\r\n');
    case 'LOGOUT':
      s.write('* BYE bye\r\n');
      ok();
      return void s.end();
    default:
      return void ok();
  }
}

export async function startHostileImap(opts: HostileOptions = {}): Promise<HostileImap> {
  const o = {
    uidValidity: opts.uidValidity ?? 7,
    uidNext: opts.uidNext ?? 100,
    uids: opts.uids ?? [1, 2, 3],
  };
  const commands: Command[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    const state: SessionState = { uidValidity: o.uidValidity, idleTag: null };
    if (opts.greeting) opts.greeting(s);
    else s.write('* OK [CAPABILITY IMAP4rev1 IDLE] hostile ready\r\n');
    let buf = '';
    s.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (line.toUpperCase() === 'DONE' && state.idleTag !== null) {
          s.write(`${state.idleTag} OK idle done\r\n`);
          state.idleTag = null;
          continue;
        }
        const cmd = parse(line);
        if (!cmd || s.destroyed) continue;
        commands.push(cmd);
        if (!opts.script?.(cmd, s, state)) defaults(cmd, s, o, state);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    host: '127.0.0.1',
    port: addr.port,
    commands,
    broadcast: (text) => {
      for (const s of sockets) if (!s.destroyed) s.write(text);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * For a test file: `against(opts)` starts a hostile server and the real IMAP provider on it (plain
 * text on 127.0.0.1, allowed the way local-mail.ts allows it); both are closed after each test.
 */
export function useHostileImap() {
  let server: HostileImap | null = null;
  let provider: MailProvider | null = null;
  beforeAll(() => setEgressPolicy(localMailPolicy));
  afterEach(async () => {
    await provider?.close().catch(() => undefined);
    await server?.close();
    provider = null;
    server = null;
  });
  return {
    async against(
      opts: HostileOptions,
      deps: Omit<ImapProviderDeps, 'logger'> = {},
    ): Promise<MailProvider> {
      server = await startHostileImap(opts);
      const endpoint = {
        host: server.host,
        port: server.port,
        secure: false,
        plaintext: true,
        auth: { user: 'u@example.test', password: 'pw' },
      };
      provider = makeImapProvider({ imap: endpoint, smtp: endpoint }, deps);
      return provider;
    },
    server: () => server!,
  };
}

/** The rejection of p, or null when it resolves. */
export async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (err: unknown) => err,
  );
}
