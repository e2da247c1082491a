// The sync's Gmail reads over Inlet's own transport (gmail-read-fetch.ts): what node-fetch did for
// them must still hold — compressed answers decoded, the size cap counted on what is kept, the API's
// error reasons read from an error answer, an egress proxy (HTTPS_PROXY) used, a caller's abort
// obeyed, one kept-alive connection.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { gzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { gmailReadSession as session, gmailServers } from '../../../test/helpers/gmail-session.js';
import { isProviderError } from '../provider-errors.js';
import { gmailReadFetch } from './gmail-read-fetch.js';
import { fetchGmailRaw, type GmailCursor, listGmailChanges } from './gmail-sync.js';

const gmailAnswering = gmailServers();

const rawAnswer = (bytes: number) =>
  JSON.stringify({ id: 'm1', raw: Buffer.alloc(bytes, 7).toString('base64url') });

describe('Gmail reads over the read transport', () => {
  it('decodes a gzip answer, and a message over the cap stays too large however well it compresses', async () => {
    const seen: (string | undefined)[] = [];
    const url = await gmailAnswering((req, res) => {
      seen.push(req.headers['accept-encoding']);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(rawAnswer(300 * 1024)));
    });
    const raw = await fetchGmailRaw(session(url, 5000, 1024 * 1024), 'm1');
    expect(Buffer.isBuffer(raw) && raw.equals(Buffer.alloc(300 * 1024, 7))).toBe(true);
    // 300 KiB of one byte is a few hundred bytes gzipped: the cap still counts what is unpacked.
    expect(await fetchGmailRaw(session(url, 5000, 64 * 1024), 'm1')).toBe('too_large');
    expect(seen[0]).toMatch(/gzip/);
  });

  it("keeps the API's reason from an error answer: a 403 for a rate limit is rate_limited, not a dead grant", async () => {
    const url = await gmailAnswering((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(
        JSON.stringify({
          error: { code: 403, errors: [{ reason: 'userRateLimitExceeded' }], message: 'slow down' },
        }),
      );
    });
    const err = await fetchGmailRaw(session(url, 5000), 'm1').catch((e: unknown) => e);
    expect(isProviderError(err) && err.kind).toBe('rate_limited');
  });

  it('lists history on one kept-alive connection across reads', async () => {
    const sockets = new Set<unknown>();
    const url = await gmailAnswering((req, res) => {
      sockets.add(req.socket);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          history: [{ id: '12', messagesAdded: [{ message: { id: 'm1', threadId: 't1' } }] }],
          historyId: '12',
        }),
      );
    });
    const s = session(url, 5000);
    const cursor: GmailCursor = { provider: 'gmail', v: 1, historyId: '10', backfill: null };
    const opts = { pageSize: 100, backfill: { days: null, maxMessages: null } };
    for (let i = 0; i < 4; i++) {
      const page = await listGmailChanges(s, cursor, opts);
      expect(page.items.map((item) => item.providerMessageId)).toEqual(['m1']);
      expect(page.nextCursor).toMatchObject({ historyId: '12' });
    }
    expect(sockets.size).toBe(1);
  });

  it('fails a read whose answer is cut off mid-body as transient, and the next read is whole', async () => {
    let cut = true;
    const url = await gmailAnswering((_req, res) => {
      const body = rawAnswer(64 * 1024);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      if (!cut) return void res.end(body);
      res.write(body.slice(0, 1000));
      setTimeout(() => res.destroy(), 20);
    });
    const err = await fetchGmailRaw(session(url, 5000), 'm1').catch((e: unknown) => e);
    expect(isProviderError(err) && err.kind).toBe('transient');
    cut = false;
    expect((await fetchGmailRaw(session(url, 5000), 'm1'))?.length).toBe(64 * 1024);
  });

  it('goes through the egress proxy HTTPS_PROXY names, as gaxios sends its own requests', async () => {
    const url = await gmailAnswering((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(rawAnswer(10));
    });
    const tunnels: string[] = [];
    const proxy = http.createServer();
    proxy.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      expect((await fetchGmailRaw(session(url, 5000), 'm1'))?.length).toBe(10);
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
      proxy.closeAllConnections();
      proxy.close();
    }
    expect(tunnels).toEqual([new URL(url).host]);
  });

  it("ends a read when the caller's signal aborts, and refuses anything but a GET", async () => {
    const url = await gmailAnswering(() => undefined); // never answers
    const read = gmailReadFetch(60_000);
    const stop = new AbortController();
    const pending = read(`${url}gmail/v1/users/me/profile`, { signal: stop.signal });
    stop.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(read(url, { method: 'POST', body: '{}' })).rejects.toThrow(/only GET/);
  });
});
