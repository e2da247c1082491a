// A TCP proxy that delays every chunk by a fixed time in each direction, so a bench against a local
// Dovecot sees the round trip of a mail server elsewhere (loopback has none, which hides the cost of
// one command per message). Order is kept; back-pressure is not (bench traffic only).
import { connect, createServer, type Socket } from 'node:net';

export interface LatencyProxy {
  port: number;
  close(): Promise<void>;
}

function delayed(from: Socket, to: Socket, ms: number): void {
  let chain = Promise.resolve();
  from.on('data', (chunk) => {
    const due = Date.now() + ms;
    chain = chain
      .then(() => new Promise<void>((r) => setTimeout(r, Math.max(0, due - Date.now()))))
      .then(() => void (to.destroyed || to.write(chunk)));
  });
  from.on('end', () => void chain.then(() => to.end()));
  from.on('error', () => to.destroy());
}

export async function startLatencyProxy(
  target: { host: string; port: number },
  oneWayMs: number,
): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    delayed(client, upstream, oneWayMs);
    delayed(upstream, client, oneWayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
