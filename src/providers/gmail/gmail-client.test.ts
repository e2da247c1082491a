// The sync path's Gmail reads (googleapis, per-call timeout) through a real session against a tiny local server:
// what a user of a stalled or failing Gmail API would notice is whether the mailbox's sync ends
// with an error it retries, or hangs holding the mailbox's queue.
import { describe, expect, it } from 'vitest';

import { gmailReadSession as session, gmailServers } from '../../../test/helpers/gmail-session.js';
import { isProviderError } from '../provider-errors.js';
import { fetchGmailHeaders } from './gmail-headers.js';
import { fetchGmailRaw } from './gmail-sync.js';

const gmailAnswering = gmailServers();

describe('gmail sync reads', () => {
  it('a Gmail API that accepts the request and goes silent fails the fetch as transient, not forever', async () => {
    let requests = 0;
    const url = await gmailAnswering(() => {
      requests++; // never answers
    });
    // No wall-clock bound (shared, loaded machines): that the call returns at all, inside the test's
    // timeout, shows the 150 ms per-call timeout fired where the old client waited forever.
    const err = await fetchGmailRaw(session(url, 150), 'm1').catch((e: unknown) => e);
    expect(isProviderError(err) && err.kind).toBe('transient');
    expect(requests).toBe(2); // retried once within the call, as for any transient failure
  }, 20_000);

  it('sends the bearer token and the message id escaped in the path, and decodes the raw', async () => {
    const seen: { url?: string; auth?: string } = {};
    const url = await gmailAnswering((req, res) => {
      seen.url = req.url;
      seen.auth = req.headers.authorization;
      res.setHeader('content-type', 'application/json; charset=UTF-8');
      res.end(
        JSON.stringify({
          id: 'a/b',
          raw: Buffer.from('Subject: hi\r\n\r\nbody').toString('base64url'),
        }),
      );
    });
    const raw = await fetchGmailRaw(session(url, 5000), 'a/b');
    expect(raw?.toString()).toBe('Subject: hi\r\n\r\nbody');
    expect(seen).toEqual({
      url: '/gmail/v1/users/me/messages/a%2Fb?format=raw',
      auth: 'Bearer tok',
    });
  });

  it('keeps the error classes: 404 is gone, 429 with Retry-After is rate_limited, a body that is not JSON is transient', async () => {
    let answer: { status: number; body: string; headers?: Record<string, string> } = {
      status: 404,
      body: '{"error":{"code":404,"message":"Not Found"}}',
    };
    const url = await gmailAnswering((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
    expect(await fetchGmailRaw(session(url, 5000), 'gone')).toBeNull();
    answer = {
      status: 429,
      body: '{"error":{"code":429,"errors":[{"reason":"rateLimitExceeded"}]}}',
      headers: { 'retry-after': '120' },
    };
    const limited = await fetchGmailRaw(session(url, 5000), 'x').catch((e: unknown) => e);
    expect(isProviderError(limited) && [limited.kind, limited.retryAfterMs]).toEqual([
      'rate_limited',
      120_000,
    ]);
    answer = { status: 200, body: '<html>proxy error</html>' };
    const garbled = await fetchGmailRaw(session(url, 5000), 'x').catch((e: unknown) => e);
    expect(isProviderError(garbled) && garbled.kind).toBe('transient');
  });
});

describe('a message over the size limit', () => {
  const big = () =>
    JSON.stringify({ id: 'm1', raw: Buffer.alloc(300 * 1024, 1).toString('base64url') });

  it('is not downloaded past the cap, whether Gmail says its length or streams it', async () => {
    let requests = 0;
    let chunked = false;
    const url = await gmailAnswering((_req, res) => {
      requests++;
      const body = big();
      if (chunked) {
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < body.length; i += 16 * 1024) res.write(body.slice(i, i + 16 * 1024));
        res.end();
      } else {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(body.length),
        });
        res.end(body);
      }
    });
    expect(await fetchGmailRaw(session(url, 5000, 64 * 1024), 'm1')).toBe('too_large');
    chunked = true;
    expect(await fetchGmailRaw(session(url, 5000, 64 * 1024), 'm1')).toBe('too_large');
    expect(requests).toBe(2); // never retried: the same answer would come again
    // Under a limit above it, the same message is downloaded.
    expect((await fetchGmailRaw(session(url, 5000, 1024 * 1024), 'm1'))?.length).toBe(300 * 1024);
  });

  it('has its headers fetched alone (format=metadata); a value cannot add a header of its own', async () => {
    const seen: string[] = [];
    let answer: string = JSON.stringify({
      id: 'm1',
      sizeEstimate: 9_000_000,
      payload: {
        headers: [
          { name: 'From', value: 'Ana <ana@client.example>' },
          { name: 'Subject', value: 'Scans\r\nBcc: victim@example.test' },
          { name: 'Bad Name', value: 'x' },
        ],
      },
    });
    const url = await gmailAnswering((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer);
    });
    expect(await fetchGmailHeaders(session(url, 5000), 'm1')).toEqual({
      header: Buffer.from(
        'From: Ana <ana@client.example>\r\nSubject: Scans Bcc: victim@example.test\r\n',
      ),
      size: 9_000_000,
    });
    const asked = new URL(seen[0]!, url).searchParams;
    expect(asked.get('format')).toBe('metadata');
    expect(asked.getAll('metadataHeaders')).toEqual(
      expect.arrayContaining(['From', 'Subject', 'Message-ID', 'In-Reply-To', 'References']),
    );
    // A header block past the answer's cap is not read: an empty block, the listing fills the stub.
    answer = JSON.stringify({
      id: 'm1',
      payload: { headers: [{ name: 'References', value: 'x'.repeat(2 * 1024 * 1024) }] },
    });
    expect(await fetchGmailHeaders(session(url, 5000), 'm1')).toEqual({
      header: Buffer.alloc(0),
      size: null,
    });
  });
});
