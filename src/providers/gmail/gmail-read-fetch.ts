// The fetch the sync's Gmail reads (history.list, messages.list, messages.get) go through: the
// googleapis client still builds every request (URL, query, bearer token) and gaxios still turns
// the answer into data or a GaxiosError, but the bytes travel over node:http(s) with the process's
// keep-alive agents instead of node-fetch. At one message per push, a sync is two such reads, and
// node-fetch's streams, Headers and per-request AbortSignal.timeout (gaxios's `timeout`) cost about
// as much CPU again as the HTTP exchange itself (issue #19, bench/gmail-bench.ts).
//
// What node-fetch did for these reads is kept: gzip, deflate and br answers are decoded; gaxios's
// `size` (maxContentLength) stops a download at the cap, by Content-Length before a byte is read or
// by the decoded bytes while reading, with node-fetch's `max-size` error (gmail-sync.ts overCap); a
// caller's AbortSignal aborts. The timeout runs from the request to the answer's last byte, as
// gaxios's did. Only GETs without a body come here: sends keep gaxios's own fetch.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** What gaxios hands its fetch: the prepared options (RequestInit plus node-fetch's extras). */
type ReadInit = RequestInit & { size?: number; agent?: http.Agent | null };

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const decoders: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: () => createGunzip(),
  'x-gzip': () => createGunzip(),
  deflate: () => createInflate(),
  br: () => createBrotliDecompress(),
};

const overLimit = (url: string, size: number) =>
  Object.assign(new Error(`content size at ${url} over limit: ${size}`), { type: 'max-size' });

/** A fetch for Gmail reads whose answers must arrive whole within `timeoutMs`. */
export function gmailReadFetch(timeoutMs: number): Fetch {
  return (input, init) => read(String(input), (init ?? {}) as ReadInit, timeoutMs);
}

function read(url: string, init: ReadInit, timeoutMs: number): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    if ((init.method ?? 'GET') !== 'GET' || (init.body !== undefined && init.body !== null)) {
      reject(new Error('the Gmail read transport sends only GET requests without a body'));
      return;
    }
    const signal = init.signal ?? null;
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const size = init.size ?? 0;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'GET',
      headers,
      ...(init.agent ? { agent: init.agent } : {}),
    });
    let settled = false;
    const finish = (err: Error | null, res?: Response) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        request.destroy();
        reject(err);
      } else resolve(res!);
    };
    const onAbort = () => finish(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () =>
        finish(
          Object.assign(new Error(`no whole answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        ),
      timeoutMs,
    );
    request.on('error', (err) => finish(err));
    request.on('response', (res) => {
      const length = Number(res.headers['content-length']);
      if (size > 0 && Number.isFinite(length) && length > size) {
        res.destroy();
        finish(overLimit(url, size));
        return;
      }
      const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
      const decode = decoders[encoding];
      let body: Readable = res;
      if (decode) {
        body = res.pipe(decode()) as unknown as Readable;
        res.on('error', (err) => finish(err));
      }
      const chunks: Buffer[] = [];
      let received = 0;
      body.on('data', (chunk: Buffer) => {
        if (settled) return;
        received += chunk.length;
        if (size > 0 && received > size) {
          res.destroy();
          finish(overLimit(url, size));
          return;
        }
        chunks.push(chunk);
      });
      body.on('error', (err) => finish(err));
      // A connection dropped mid-answer does not always say so with an error.
      res.on('close', () => {
        if (!res.complete)
          finish(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
      });
      body.on('end', () => finish(null, answer(res, Buffer.concat(chunks, received))));
    });
    request.end();
  });
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
}

// Statuses whose Response may carry no body (the Fetch standard's null body statuses).
const NO_BODY = new Set([101, 204, 205, 304]);

/** The answer as a real fetch Response (gaxios reads its status, headers and body as text or JSON;
 *  an error answer keeps its parsed body, the API's reason such as userRateLimitExceeded). */
function answer(res: http.IncomingMessage, bytes: Buffer): Response {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const status = res.statusCode ?? 0;
  return new Response(NO_BODY.has(status) ? null : bytes, {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  });
}
