// A TCP proxy that slows one process's path to PostgreSQL, as toxiproxy's latency toxic does: every
// chunk the server sends back is held `latencyMs` before it reaches the client, so each round trip
// (a query, a COMMIT, a job fetch, a connection's start-up and authentication) takes that much
// longer. Order is kept per connection, also when the latency changes while chunks are held (a
// chunk never overtakes one held before it). Put it between one process and the database by giving
// that process `proxy.urlFor(databaseUrl)`; everyone else keeps the direct address.
import net from 'node:net';

export interface LatencyProxy {
  /** The database URL with its host and port replaced by the proxy's. */
  urlFor(databaseUrl: string): string;
  /** From now on, server-to-client data waits this long (0: straight through, after what is held). */
  setLatency(ms: number): void;
  /** Chunks held right now: something behind the proxy is waiting for the database. */
  held(): number;
  /** Connections opened through the proxy so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startLatencyProxy(
  target: { host: string; port: number },
  latencyMs = 0,
): Promise<LatencyProxy> {
  let latency = latencyMs;
  let holding = 0;
  let opened = 0;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    opened++;
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    // Chunks in arrival order, each with the time it may go; one timer at a time sends the head,
    // so a chunk never leaves before one held earlier, whatever the latency was when each came.
    const queue: { chunk: Buffer; at: number }[] = [];
    let timer: NodeJS.Timeout | null = null;
    let releaseAt = 0;
    const pump = () => {
      timer = null;
      while (queue.length && queue[0]!.at <= Date.now()) {
        holding--;
        const { chunk } = queue.shift()!;
        if (!client.destroyed) client.write(chunk);
      }
      if (queue.length) timer = setTimeout(pump, queue[0]!.at - Date.now());
    };
    upstream.on('data', (chunk: Buffer) => {
      releaseAt = Math.max(Date.now() + latency, releaseAt);
      holding++;
      queue.push({ chunk, at: releaseAt });
      if (!timer) timer = setTimeout(pump, releaseAt - Date.now());
    });
    client.pipe(upstream);
    const end = () => {
      // Let what is held go out first, so an answer is never cut off by the proxy itself.
      setTimeout(
        () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        },
        Math.max(0, releaseAt - Date.now()),
      );
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    urlFor(databaseUrl) {
      const u = new URL(databaseUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    setLatency(ms) {
      latency = ms;
    },
    held: () => holding,
    connections: () => opened,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
