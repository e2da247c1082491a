// Scanner backed by clamd over TCP (INSTREAM): buffers over pooled IDSESSION connections, streams
// over one connection each as clamdscan does it.
//
// Why not the `clamscan` npm package (v2.4, the design's first choice): read its index.js and tried it
// against a server that accepts but never answers. Its socket timeout ends the connection and
// scanStream then *resolves* `{ isInfected: null, timeout: false }` — the same shape as an
// unparseable reply, one `if (!isInfected)` away from "clean" — and against a server that keeps
// the half-closed socket open it never settles. It also ignores socket back-pressure (a large
// stream is buffered whole in memory), leaves the socket open when the source stream errors,
// prints to console.error, and its init() fails unless clamd answers PING at construction time, so
// the service could not even start during a scanner outage. The protocol is small enough
// (clamd-protocol.ts) that owning it is cheaper than wrapping those gaps.

import net from 'node:net';

import { AppError } from '../errors.js';
import {
  destroySource,
  errorCode,
  exchange,
  type ExchangeOutcome,
  fail,
} from './clamd-exchange.js';
import {
  END_COMMAND,
  IDSESSION_COMMAND,
  INSTREAM_COMMAND,
  parseInstreamReply,
  parseSessionReply,
  PING_COMMAND,
} from './clamd-protocol.js';
import { isTransientScanError, type Scanner, type ScanResult } from './scanner.js';

export interface ClamdScannerOptions {
  host: string;
  port: number;
  /** Deadline for one whole scan: connect, send, and clamd's verdict. Also bounds ping(). */
  timeoutMs: number;
  /** Refuse content above this many bytes without waiting for clamd (keep ≤ clamd's StreamMaxLength). */
  maxStreamBytes: number;
  /** INSTREAM chunk size; clamd accepts any size up to StreamMaxLength. Default 64 KiB. */
  chunkBytes?: number;
  /**
   * Most clamd sessions kept open between buffer scans. Default 8; 0 = a new connection per scan.
   * Streams always get their own connection (they cannot be re-sent if a parked session was dropped).
   */
  maxIdleSessions?: number;
  /**
   * A parked session unused this long is ended. Default 10 s. Keep it under clamd's ReadTimeout
   * (default 120 s), after which clamd ends an idle session itself.
   */
  sessionIdleMs?: number;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;
const DEFAULT_MAX_IDLE_SESSIONS = 8;
const DEFAULT_SESSION_IDLE_MS = 10_000;

export interface ClamdScanner extends Scanner {
  /** Ends the parked sessions; scans still running finish and then close their connection. */
  close(): Promise<void>;
}

interface Session {
  socket: net.Socket;
  /** Number of the last request sent; clamd numbers a session's commands from 1. */
  lastId: number;
  idleTimer?: NodeJS.Timeout;
  onIdleEvent?: () => void;
}

function dial(opts: ClamdScannerOptions): net.Socket | ScanResult {
  try {
    const socket = net.createConnection({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    // Kept for the socket's whole life, also between requests and while it is being ended: errors
    // matter only through the 'close' that follows, which each request and the pool listen to.
    socket.on('error', () => undefined);
    return socket;
  } catch (err) {
    // e.g. a port out of range: the scan still resolves, never rejects.
    return fail('unavailable', `cannot connect to clamd (${errorCode(err)})`);
  }
}

/**
 * Buffers are scanned over kept-alive IDSESSION connections: a new TCP connection per attachment
 * cost Node about twice the CPU per scan, and clamd some more (bench/clamd-bench.ts). At most
 * `maxIdle` sessions are parked between scans; a scan that finds none parked opens its own, so
 * concurrency is bounded by the callers exactly as with one connection per scan.
 */
function makeSessionPool(opts: ClamdScannerOptions, maxIdle: number, idleMs: number) {
  const idle: Session[] = [];
  const closing = new Set<Promise<void>>();
  let closed = false;
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;

  const detach = (s: Session): void => {
    clearTimeout(s.idleTimer);
    if (s.onIdleEvent) {
      s.socket.off('data', s.onIdleEvent);
      s.socket.off('close', s.onIdleEvent);
    }
    s.onIdleEvent = undefined;
    const at = idle.indexOf(s);
    if (at >= 0) idle.splice(at, 1);
  };

  const retire = (s: Session): void => {
    detach(s);
    if (s.socket.destroyed) return;
    const gone = new Promise<void>((resolve) => s.socket.once('close', () => resolve()));
    closing.add(gone);
    void gone.then(() => closing.delete(gone));
    // zEND lets clamd log a normal end of session; a clamd that does not hang up is not waited for.
    s.socket.setTimeout(1000, () => s.socket.destroy());
    s.socket.end(END_COMMAND);
  };

  const park = (s: Session): void => {
    if (closed || idle.length >= maxIdle || s.socket.destroyed) return retire(s);
    // Anything clamd says between requests, or a hang-up, ends the session.
    s.onIdleEvent = () => {
      detach(s);
      s.socket.destroy();
    };
    s.socket.on('data', s.onIdleEvent);
    s.socket.on('close', s.onIdleEvent);
    s.idleTimer = setTimeout(() => retire(s), idleMs);
    s.idleTimer.unref();
    s.socket.unref(); // a parked session never keeps the process alive
    idle.push(s);
  };

  const take = (): Session | undefined => {
    let s: Session | undefined;
    while ((s = idle.pop())) {
      detach(s);
      if (!s.socket.destroyed) {
        s.socket.ref();
        return s;
      }
    }
    return undefined;
  };

  const request = async (
    s: Session,
    content: Buffer,
    deadline: number,
    reused: boolean,
  ): Promise<ExchangeOutcome> => {
    const id = ++s.lastId;
    const out = await exchange(s.socket, {
      command: reused ? INSTREAM_COMMAND : Buffer.concat([IDSESSION_COMMAND, INSTREAM_COMMAND]),
      content,
      connected: reused,
      timeoutMs: Math.max(1, deadline - performance.now()),
      maxStreamBytes: opts.maxStreamBytes,
      chunkBytes,
      parse: (raw) => parseSessionReply(raw, id),
      keepOpen: true,
    });
    if (out.reusable) park(s);
    return out;
  };

  return {
    async scan(content: Buffer): Promise<ScanResult> {
      const deadline = performance.now() + opts.timeoutMs;
      const parked = take();
      if (parked) {
        const out = await request(parked, content, deadline, true);
        const r = out.result;
        // clamd can end a parked session (restart, its ReadTimeout) just as we pick it up; then no
        // verdict came back for these bytes, so they go once more over a new connection, within
        // the same deadline (which, when it is what ran out, leaves no time to retry).
        if (!isTransientScanError(r) || deadline - performance.now() < 1) return r;
      }
      const socket = dial(opts);
      if (!(socket instanceof net.Socket)) return socket;
      return (await request({ socket, lastId: 0 }, content, deadline, false)).result;
    },
    async close(): Promise<void> {
      closed = true;
      for (const s of [...idle]) retire(s);
      await Promise.all([...closing]);
    },
  };
}

async function scanOneShot(
  opts: ClamdScannerOptions,
  content: Buffer | NodeJS.ReadableStream,
): Promise<ScanResult> {
  const socket = dial(opts);
  if (!(socket instanceof net.Socket)) {
    destroySource(content);
    return socket;
  }
  const out = await exchange(socket, {
    command: INSTREAM_COMMAND,
    content,
    connected: false,
    timeoutMs: opts.timeoutMs,
    maxStreamBytes: opts.maxStreamBytes,
    chunkBytes: opts.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    parse: parseInstreamReply,
    keepOpen: false,
  });
  return out.result;
}

function pingClamd(opts: ClamdScannerOptions): Promise<boolean> {
  let socket: net.Socket;
  try {
    socket = net.createConnection({ host: opts.host, port: opts.port });
  } catch {
    return Promise.resolve(false);
  }
  return new Promise<boolean>((resolve) => {
    let answer = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), opts.timeoutMs);
    socket.on('connect', () => socket.write(PING_COMMAND));
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      if (answer.includes('\0') || answer.length > 64)
        done(answer.replace(/\0[\s\S]*$/, '').trim() === 'PONG');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(answer.replace(/\0[\s\S]*$/, '').trim() === 'PONG'));
  });
}

export function makeClamdScanner(opts: ClamdScannerOptions): ClamdScanner {
  if (!(opts.timeoutMs > 0) || !(opts.maxStreamBytes > 0)) {
    throw new AppError('internal', 'clamd scanner needs a positive timeoutMs and maxStreamBytes');
  }
  const maxIdle = opts.maxIdleSessions ?? DEFAULT_MAX_IDLE_SESSIONS;
  const sessions =
    maxIdle > 0
      ? makeSessionPool(opts, maxIdle, opts.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS)
      : null;
  return {
    scan: (content) => {
      if (!Buffer.isBuffer(content)) return scanOneShot(opts, content);
      // Known too big before a byte is sent: no connection needed to say so.
      if (content.length > opts.maxStreamBytes) {
        return Promise.resolve(
          fail('size_limit', `content exceeds the ${opts.maxStreamBytes}-byte scan limit`),
        );
      }
      return sessions ? sessions.scan(content) : scanOneShot(opts, content);
    },
    ping: () => pingClamd(opts),
    close: async () => {
      await sessions?.close();
    },
  };
}
