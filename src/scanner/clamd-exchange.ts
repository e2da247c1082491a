// One INSTREAM request/reply on a clamd socket, shared by one-shot connections and pooled sessions.
// The socket is handed back open only after a well-formed clean or infected reply that ended exactly
// at its terminator; anything else (error verdict, timeout, extra bytes, a failing source) destroys
// it, so a connection in an unknown protocol state is never reused.

import type net from 'node:net';

import { chunkHeader, MAX_REPLY_BYTES, STREAM_TERMINATOR } from './clamd-protocol.js';
import type { ScanErrorReason, ScanResult } from './scanner.js';

export interface ExchangeRequest {
  /** Bytes that go before the chunks: `zINSTREAM\0`, preceded by `zIDSESSION\0` on a new session. */
  command: Buffer;
  content: Buffer | NodeJS.ReadableStream;
  /** The socket's 'connect' already fired (a reused session). */
  connected: boolean;
  timeoutMs: number;
  maxStreamBytes: number;
  chunkBytes: number;
  /** Turns the complete reply text into a verdict. */
  parse: (raw: string) => ScanResult;
  /** Leave the socket open after a clean/infected reply (a session) instead of destroying it. */
  keepOpen: boolean;
}

export interface ExchangeOutcome {
  result: ScanResult;
  /** The socket is still open and idle: exactly one reply was read and nothing else. */
  reusable: boolean;
}

/** Buffers up to this size go out as one framed write. */
const SINGLE_WRITE_BYTES = 256 * 1024;

export const fail = (reason: ScanErrorReason, detail: string): ScanResult => ({
  verdict: 'error',
  reason,
  detail,
});

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

async function* chunksOf(
  content: Buffer | NodeJS.ReadableStream,
  size: number,
): AsyncGenerator<Buffer> {
  // NodeJS.ReadableStream is async-iterable at run time (every Readable is) but not in its typings.
  const pieces = Buffer.isBuffer(content)
    ? [content]
    : (content as unknown as AsyncIterable<Buffer | string>);
  for await (const piece of pieces) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
    for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
  }
}

export function destroySource(content: Buffer | NodeJS.ReadableStream): void {
  if (Buffer.isBuffer(content)) return;
  const destroy = (content as { destroy?: () => void }).destroy;
  if (typeof destroy === 'function') destroy.call(content);
}

export function exchange(socket: net.Socket, req: ExchangeRequest): Promise<ExchangeOutcome> {
  const { content, chunkBytes } = req;
  return new Promise<ExchangeOutcome>((resolve) => {
    const reply: Buffer[] = [];
    let replyBytes = 0;
    let connected = req.connected;
    let settled = false;
    let socketError: unknown;

    const finish = (result: ScanResult, replyComplete = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      const reusable =
        req.keepOpen &&
        replyComplete &&
        (result.verdict === 'clean' || result.verdict === 'infected') &&
        !socket.destroyed;
      if (!reusable) socket.destroy();
      if (result.verdict !== 'clean') destroySource(content);
      resolve({ result, reusable });
    };

    const timer = setTimeout(() => {
      finish(
        fail(
          'timeout',
          connected
            ? `no verdict from clamd within ${req.timeoutMs} ms`
            : `connect to clamd timed out after ${req.timeoutMs} ms`,
        ),
      );
    }, req.timeoutMs);

    // Resolves when the socket can take more; rejects once the socket is gone (close decides the verdict).
    const write = (buf: Buffer): Promise<void> => {
      if (settled || socket.destroyed) return Promise.reject(new Error('socket closed'));
      if (socket.write(buf)) return Promise.resolve();
      return new Promise<void>((ok, ko) => {
        const onDrain = (): void => {
          socket.off('close', onGone);
          ok();
        };
        const onGone = (): void => {
          socket.off('drain', onDrain);
          ko(new Error('socket closed'));
        };
        socket.once('drain', onDrain);
        socket.once('close', onGone);
      });
    };

    const send = async (): Promise<void> => {
      // Most attachments are small: one framed write instead of a write per piece (each socket
      // write is a system call, and they showed up in the ingest profile).
      if (
        Buffer.isBuffer(content) &&
        content.length <= SINGLE_WRITE_BYTES &&
        content.length <= req.maxStreamBytes
      ) {
        const frame: Buffer[] = [req.command];
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
        await write(req.command);
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
        if (sent > req.maxStreamBytes) {
          finish(fail('size_limit', `content exceeds the ${req.maxStreamBytes}-byte scan limit`));
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

    const onConnect = (): void => {
      connected = true;
      void send();
    };
    const onData = (data: Buffer): void => {
      reply.push(data);
      replyBytes += data.length;
      if (replyBytes > MAX_REPLY_BYTES) {
        finish(fail('scanner_error', 'clamd reply too long'));
        return;
      }
      const end = data.indexOf(0);
      if (end < 0) return;
      // Bytes after the terminator are not part of one reply: still parsed (so they can only make
      // the verdict worse), and the socket is not reused.
      finish(req.parse(Buffer.concat(reply).toString('latin1')), end === data.length - 1);
    };
    // 'close' always follows 'error'; the verdict is decided there so a reply that arrived before
    // a reset (clamd answers a size-limit breach and hangs up mid-upload) is still read.
    const onError = (err: unknown): void => {
      socketError = err;
    };
    const onClose = (): void => {
      if (replyBytes > 0) {
        finish(req.parse(Buffer.concat(reply).toString('latin1')));
      } else if (!connected) {
        finish(fail('unavailable', `cannot connect to clamd (${errorCode(socketError)})`));
      } else {
        finish(
          fail(
            'unavailable',
            `clamd closed the connection without a verdict (${errorCode(socketError)})`,
          ),
        );
      }
    };

    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (socket.destroyed) {
      onClose();
    } else if (connected) {
      void send();
    } else {
      socket.once('connect', onConnect);
    }
  });
}
