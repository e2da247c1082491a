// An SMTP submission server that keeps what it receives in memory, for send tests. AUTH PLAIN/LOGIN
// is required (over plain TCP: loopback only), and fault switches simulate what real servers and
// networks do to senders: drop the connection before the message is sent, drop it after the whole
// message arrived but before the answer (the sender cannot know it was received), or answer a
// transaction with an error code.
import type { Socket } from 'node:net';

import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

export interface SinkMessage {
  envelope: { mailFrom: string | null; rcptTo: string[] };
  raw: Buffer;
  user: string | null;
}

export interface SmtpSink {
  host: string;
  port: number;
  messages: SinkMessage[];
  /** The next `n` connections are destroyed at MAIL FROM, before any message byte is sent. */
  dropNextConnections(n: number): void;
  /** The next `n` messages are received whole (and kept in `messages`, as a real server may have
   *  queued them), then the connection is destroyed before the server answers. */
  dropAfterData(n: number): void;
  /** The next transaction's DATA is answered with `code` (e.g. 451 or 550). */
  failNext(code: number): void;
  /** Number of AUTH attempts rejected so far. */
  authFailures(): number;
  close(): Promise<void>;
}

const addr = (a: SMTPServerAddress | false): string | null => (a ? a.address : null);

export async function startSmtpSink(
  opts: { users?: Record<string, string>; secure?: false } = {},
): Promise<SmtpSink> {
  const users = opts.users ?? { sender: 'sender-pass' };
  const messages: SinkMessage[] = [];
  let toDrop = 0;
  let toDropAfterData = 0;
  const failCodes: number[] = [];
  let authFailed = 0;
  const sockets = new Set<Socket>();

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (
        auth.username !== undefined &&
        users[auth.username] !== undefined &&
        users[auth.username] === auth.password
      ) {
        cb(null, { user: auth.username });
        return;
      }
      authFailed++;
      cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onMailFrom(_address, session: SMTPServerSession, cb) {
      if (toDrop > 0) {
        toDrop--;
        for (const s of sockets) if (s.remotePort === session.remotePort) s.destroy();
        return;
      }
      cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      const keep = () =>
        messages.push({
          envelope: {
            mailFrom: addr(session.envelope.mailFrom),
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: Buffer.concat(chunks),
          user: typeof session.user === 'string' ? session.user : null,
        });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (toDropAfterData > 0) {
          toDropAfterData--;
          keep();
          for (const s of sockets) if (s.remotePort === session.remotePort) s.destroy();
          return;
        }
        const code = failCodes.shift();
        if (code !== undefined) {
          cb(
            Object.assign(new Error(code >= 500 ? 'Rejected by test sink' : 'Try again later'), {
              responseCode: code,
            }),
          );
          return;
        }
        keep();
        cb(null);
      });
    },
  });
  server.on('error', () => undefined);
  server.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (!address || typeof address !== 'object') throw new Error('smtp sink has no address');

  return {
    host: '127.0.0.1',
    port: address.port,
    messages,
    dropNextConnections(n) {
      toDrop += n;
    },
    dropAfterData(n) {
      toDropAfterData += n;
    },
    failNext(code) {
      failCodes.push(code);
    },
    authFailures: () => authFailed,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
