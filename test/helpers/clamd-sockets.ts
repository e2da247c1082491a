// Sockets for clamd session tests: a local server on a free port and scanners pointed at it, both
// closed by closeSockets() after each test so no test leaves a connection behind.
import type { Server } from 'node:net';

import { type ClamdScanner, makeClamdScanner } from '../../src/scanner/clamd-scanner.js';

const servers: Server[] = [];
const scanners: ClamdScanner[] = [];

export async function closeSockets(): Promise<void> {
  await Promise.all(scanners.splice(0).map((s) => s.close()));
  for (const s of servers.splice(0)) s.close();
}

export async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

export function scannerOn(
  port: number,
  extra: Partial<Parameters<typeof makeClamdScanner>[0]> = {},
): ClamdScanner {
  const s = makeClamdScanner({
    host: '127.0.0.1',
    port,
    timeoutMs: 2000,
    maxStreamBytes: 1024 * 1024,
    ...extra,
  });
  scanners.push(s);
  return s;
}
