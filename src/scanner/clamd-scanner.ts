// Scanner backed by clamd over TCP (INSTREAM), one connection per scan as clamdscan does it.
//
// Why not the `clamscan` npm package (v2.4, named in DESIGN.md): read its index.js and tried it
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
  INSTREAM_COMMAND,
  MAX_REPLY_BYTES,
  PING_COMMAND,
  STREAM_TERMINATOR,
  chunkHeader,
  parseInstreamReply,
} from './clamd-protocol.js';
import type { ScanErrorReason, ScanResult, Scanner } from './scanner.js';

export interface ClamdScannerOptions {
  host: string;
  port: number;
  /** Deadline for one whole scan: connect, send, and clamd's verdict. Also bounds ping(). */
  timeoutMs: number;
  /** Refuse content above this many bytes without waiting for clamd (keep ≤ clamd's StreamMaxLength). */
  maxStreamBytes: number;
  /** INSTREAM chunk size; clamd accepts any size up to StreamMaxLength. Default 64 KiB. */
  chunkBytes?: number;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Buffers up to this size go out as one framed write. */
const SINGLE_WRITE_BYTES = 256 * 1024;

const fail = (reason: ScanErrorReason, detail: string): ScanResult => ({ verdict: 'error', reason, detail });

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

async function* chunksOf(content: Buffer | NodeJS.ReadableStream, size: number): AsyncGenerator<Buffer> {
  // NodeJS.ReadableStream is async-iterable at run time (every Readable is) but not in its typings.
  const pieces = Buffer.isBuffer(content) ? [content] : (content as unknown as AsyncIterable<Buffer | string>);
  for await (const piece of pieces) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
    for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
  }
}

function destroySource(content: Buffer | NodeJS.ReadableStream): void {
  if (Buffer.isBuffer(content)) return;
  const destroy = (content as { destroy?: () => void }).destroy;
  if (typeof destroy === 'function') destroy.call(content);
}

function scanWithClamd(opts: ClamdScannerOptions, content: Buffer | NodeJS.ReadableStream): Promise<ScanResult> {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let socket: net.Socket;
  try {
    socket = net.createConnection({ host: opts.host, port: opts.port });
  } catch (err) {
    // e.g. a port out of range: the promise still resolves, never rejects.
    return Promise.resolve(fail('unavailable', `cannot connect to clamd (${errorCode(err)})`));
  }
  return new Promise<ScanResult>((resolve) => {
    const reply: Buffer[] = [];
    let replyBytes = 0;
    let connected = false;
    let settled = false;
    let socketError: unknown;

    const finish = (result: ScanResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (result.verdict !== 'clean') destroySource(content);
      resolve(result);
    };

    const timer = setTimeout(() => {
      finish(
        fail('timeout', connected ? `no verdict from clamd within ${opts.timeoutMs} ms` : `connect to clamd timed out after ${opts.timeoutMs} ms`),
      );
    }, opts.timeoutMs);

    // Resolves when the socket can take more; rejects once the socket is gone (close decides the verdict).
    const write = (buf: Buffer): Promise<void> => {
      if (settled || socket.destroyed) return Promise.reject(new Error('socket closed'));
      if (socket.write(buf)) return Promise.resolve();
      return new Promise<void>((ok, ko) => {
        const onDrain = (): void => {
          socket.off('close', onClose);
          ok();
        };
        const onClose = (): void => {
          socket.off('drain', onDrain);
          ko(new Error('socket closed'));
        };
        socket.once('drain', onDrain);
        socket.once('close', onClose);
      });
    };

    const send = async (): Promise<void> => {
      // Most attachments are small: one framed write instead of a write per piece (each socket
      // write is a system call, and they showed up in the ingest profile).
      if (Buffer.isBuffer(content) && content.length <= SINGLE_WRITE_BYTES && content.length <= opts.maxStreamBytes) {
        const frame: Buffer[] = [INSTREAM_COMMAND];
        for (let at = 0; at < content.length; at += chunkBytes) {
          const piece = content.subarray(at, at + chunkBytes);
          frame.push(chunkHeader(piece.length), piece);
        }
        frame.push(STREAM_TERMINATOR);
        await write(Buffer.concat(frame)).catch(() => undefined);
        return;
      }
      let sent = 0;
      let chunks: AsyncGenerator<Buffer>;
      try {
        await write(INSTREAM_COMMAND);
        chunks = chunksOf(content, chunkBytes);
      } catch {
        return;
      }
      while (!settled) {
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } catch (err) {
          finish(fail('scanner_error', `reading the content to scan failed (${errorCode(err)})`));
          return;
        }
        if (settled) break;
        if (next.done) break;
        sent += next.value.length;
        if (sent > opts.maxStreamBytes) {
          finish(fail('size_limit', `content exceeds the ${opts.maxStreamBytes}-byte scan limit`));
          break;
        }
        try {
          await write(chunkHeader(next.value.length));
          await write(next.value);
        } catch {
          break; // clamd closed early (e.g. its size limit); the close handler reads its reply
        }
      }
      if (settled) {
        await chunks.return(undefined).catch(() => undefined);
        return;
      }
      await write(STREAM_TERMINATOR).catch(() => undefined);
    };

    socket.setNoDelay(true);
    socket.on('connect', () => {
      connected = true;
      void send();
    });
    socket.on('data', (data: Buffer) => {
      reply.push(data);
      replyBytes += data.length;
      if (replyBytes > MAX_REPLY_BYTES) {
        finish(fail('scanner_error', 'clamd reply too long'));
      } else if (data.includes(0)) {
        finish(parseInstreamReply(Buffer.concat(reply).toString('latin1')));
      }
    });
    // 'close' always follows 'error'; the verdict is decided there so a reply that arrived before
    // a reset (clamd answers a size-limit breach and hangs up mid-upload) is still read.
    socket.on('error', (err) => {
      socketError = err;
    });
    socket.on('close', () => {
      if (replyBytes > 0) {
        finish(parseInstreamReply(Buffer.concat(reply).toString('latin1')));
      } else if (!connected) {
        finish(fail('unavailable', `cannot connect to clamd (${errorCode(socketError)})`));
      } else {
        finish(fail('unavailable', `clamd closed the connection without a verdict (${errorCode(socketError)})`));
      }
    });
  });
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
      if (answer.includes('\0') || answer.length > 64) done(answer.replace(/\0[\s\S]*$/, '').trim() === 'PONG');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(answer.replace(/\0[\s\S]*$/, '').trim() === 'PONG'));
  });
}

export function makeClamdScanner(opts: ClamdScannerOptions): Scanner {
  if (!(opts.timeoutMs > 0) || !(opts.maxStreamBytes > 0)) {
    throw new AppError('internal', 'clamd scanner needs a positive timeoutMs and maxStreamBytes');
  }
  return {
    scan: (content) => scanWithClamd(opts, content),
    ping: () => pingClamd(opts),
  };
}
