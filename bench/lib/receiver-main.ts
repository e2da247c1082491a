// Child process of bench/lib/webhook-receiver.ts: a plain node:http webhook receiver, as a helpdesk
// runs one on its own host, so its parsing does not count against the process under test. Reports
// each delivery's `data.status` token and arrival time (ms on the shared performance clock) in
// batches over IPC.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let batch: [string, number][] = [];
let timer: NodeJS.Timeout | null = null;
const flush = () => {
  timer = null;
  process.send!(batch);
  batch = [];
};

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      data: { status?: string };
    };
    batch.push([body.data.status ?? '', at]);
    timer ??= setTimeout(flush, 20);
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
