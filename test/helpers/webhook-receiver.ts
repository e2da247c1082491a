// A webhook receiver on loopback, written as a helpdesk would: node:http plus the official
// `standardwebhooks` library to verify each delivery. It can be taken down (connections refused)
// and brought back on the same port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  headers: Record<string, string>;
  body: string;
  event: {
    id: string;
    type: string;
    version: number;
    created_at: string;
    data: Record<string, unknown>;
  };
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests whose signature the library refused. */
  rejected: number;
  setSecret(secret: string): void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  let wh: Webhook | null = null;
  const r = { received: [] as Received[], rejected: 0 };
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, String(v)]),
      );
      try {
        const event = wh!.verify(body, headers) as Received['event'];
        r.received.push({ id: headers['webhook-id']!, headers, body, event });
        res.writeHead(204).end();
      } catch {
        r.rejected++;
        res.writeHead(400).end('bad signature');
      }
    });
  };
  let server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/hooks/inlet`,
    setSecret: (secret: string) => {
      wh = new Webhook(secret);
    },
    down: stop,
    up: async () => {
      server = http.createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    close: () => (server.listening ? stop() : Promise.resolve()),
  });
}
