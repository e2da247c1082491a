// A message too large to download: its $value is read only up to the limit, and the header block
// for its stub comes from what Graph answers about it, which may be hostile (values with line
// breaks, names that are no field names) or missing (mail Exchange holds no internet headers for).
import { describe, expect, it } from 'vitest';

import { fetchGraphHeaders, fetchGraphRaw } from './graph-fetch.js';
import type { GraphSession } from './graph-session.js';

/** A session whose every GET answers `body` as a stream, in 16 KiB chunks. */
function sessionStreaming(body: Buffer, maxMessageBytes: number | null = null) {
  const pulled = { bytes: 0, cancelled: false };
  const request = () => {
    const r = {
      header: () => r,
      responseType: () => r,
      middlewareOptions: () => r,
      get: async () => {
        let at = 0;
        return new ReadableStream<Uint8Array>({
          pull(c) {
            if (at >= body.length) return c.close();
            const chunk = body.subarray(at, at + 16 * 1024);
            at += chunk.length;
            pulled.bytes += chunk.length;
            c.enqueue(new Uint8Array(chunk));
          },
          cancel() {
            pulled.cancelled = true;
          },
        });
      },
    };
    return r;
  };
  const client = { api: request };
  const s = {
    base: '/me',
    client,
    maxMessageBytes,
    call: (_what: string, fn: (c: unknown) => Promise<unknown>) => fn(client),
  } as unknown as GraphSession;
  return { s, pulled };
}

describe('graph fetch of a message over the size limit', () => {
  it('stops reading $value past the limit and reports it too large', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 65);
    const { s, pulled } = sessionStreaming(big, 64 * 1024);
    expect(await fetchGraphRaw(s, 'm1')).toBe('too_large');
    expect(pulled.cancelled).toBe(true);
    expect(pulled.bytes).toBeLessThan(256 * 1024);
    expect((await fetchGraphRaw(sessionStreaming(big).s, 'm1'))?.length).toBe(big.length);
  });

  it('writes the internet headers Graph lists, none of them able to add a header of its own', async () => {
    const answer = {
      internetMessageHeaders: [
        { name: 'From', value: 'Ana <ana@client.example>' },
        { name: 'Subject', value: 'Scans\r\nBcc: victim@example.test' },
        { name: 'Not a name', value: 'x' },
      ],
    };
    const got = await fetchGraphHeaders(
      sessionStreaming(Buffer.from(JSON.stringify(answer))).s,
      'm',
    );
    expect(got?.header.toString()).toBe(
      'From: Ana <ana@client.example>\r\nSubject: Scans Bcc: victim@example.test\r\n',
    );
  });

  it('without internet headers, writes them from the selected properties', async () => {
    const answer = {
      subject: 'Scans',
      internetMessageId: '<m1@client.example>',
      receivedDateTime: '2026-03-02T10:00:00Z',
      from: { emailAddress: { name: 'Ana "A" Berg', address: 'ana@client.example' } },
      toRecipients: [
        { emailAddress: { address: 'support@example.test' } },
        { emailAddress: { address: 'x>\r\nBcc: victim@example.test' } },
      ],
    };
    const got = await fetchGraphHeaders(
      sessionStreaming(Buffer.from(JSON.stringify(answer))).s,
      'm',
    );
    expect(got?.header.toString().split('\r\n')).toEqual([
      'From: "Ana \\"A\\" Berg" <ana@client.example>',
      'To: <support@example.test>',
      'Subject: Scans',
      'Message-ID: <m1@client.example>',
      'Date: Mon, 02 Mar 2026 10:00:00 GMT',
      '',
    ]);
  });

  it('gives an empty block for an answer too long to be a header a stub could use', async () => {
    const answer = { internetMessageHeaders: [{ name: 'References', value: 'x'.repeat(1 << 20) }] };
    const { s, pulled } = sessionStreaming(Buffer.from(JSON.stringify(answer)));
    expect(await fetchGraphHeaders(s, 'm')).toEqual({ header: Buffer.alloc(0), size: null });
    expect(pulled.cancelled).toBe(true);
  });
});
