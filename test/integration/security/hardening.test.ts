// Smaller hardening items a caller can observe: NUL refused as 400 (it used to be a 500 from
// PostgreSQL), JSON answers carry a CSP that allows nothing, the raw .eml download is sandboxed,
// attachment types come from an allow-list of inert types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { safeDownloadType } from '../../../src/lib/content-disposition.js';
import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { mail } from '../../helpers/mail.js';
import { bearer } from '../../helpers/tenants.js';

let f: IngestFixture;
beforeAll(async () => {
  f = await makeIngestFixture();
});
afterAll(async () => {
  await f?.t.close();
});

const req = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
  f.t.app.inject({
    method,
    url,
    headers: bearer(f.tenant.token),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

describe('NUL characters', () => {
  it.each([
    ['a query string', 'GET', '/v1/audit?action=mailbox%00.read'],
    ['a ticket search', 'GET', '/v1/tickets?q=abc%00def'],
    ['a path', 'GET', '/v1/tickets/abc%00def'],
  ] as const)('in %s answer 400', async (_what, method, url) => {
    const res = await req(method, url);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });

  it('in a JSON string (value or key) answer 400 naming the field, and nothing is stored', async () => {
    const before = (await req('GET', '/v1/mailboxes')).json().items.length;
    const res = await req('POST', '/v1/mailboxes', {
      provider: 'local',
      address: 'nul@acme.example',
      display_name: 'Acme\u0000Support',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('body/display_name');
    expect(
      (
        await req('POST', '/v1/mailboxes', {
          provider: 'local',
          address: 'nul@acme.example',
          ['x\u0000']: 1,
        })
      ).statusCode,
    ).toBe(400);
    expect((await req('GET', '/v1/mailboxes')).json().items.length).toBe(before);
  });
});

describe('mailbox display names', () => {
  it('with a line break or control character answer 400 header_injection, and nothing is stored', async () => {
    // The name is the From header of every reply; accepted, it would make each reply fail instead.
    const before = (await req('GET', '/v1/mailboxes')).json().items.length;
    for (const display_name of [
      'Acme\r\nBcc: victim@evil.example',
      'Acme\u2028Support',
      'Acme\u0001',
    ]) {
      const res = await req('POST', '/v1/mailboxes', {
        provider: 'local',
        address: 'named@acme.example',
        display_name,
      });
      expect(res.statusCode, display_name).toBe(400);
      expect(res.json()).toMatchObject({ code: 'header_injection', field: 'display_name' });
    }
    expect((await req('GET', '/v1/mailboxes')).json().items.length).toBe(before);
  });
});

describe('response headers', () => {
  it('JSON answers carry a CSP that allows nothing, not a page policy', async () => {
    const res = await req('GET', '/v1/tickets');
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(
      csp
        .split(';')
        .map((d) => d.trim())
        .sort(),
    ).toEqual(["default-src 'none'", "frame-ancestors 'none'"]);
  });

  it('the raw .eml download is sandboxed and not sniffed', async () => {
    const o = await f.ingest(mail({ subject: 'raw headers', text: '<script>alert(1)</script>' }));
    if (o.status !== 'stored') throw new Error(o.status);
    const res = await req('GET', `/v1/messages/${o.messageId}/raw`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('attachment download types', () => {
  it('serves only inert types under their own name; everything else is application/octet-stream', () => {
    for (const t of ['image/png', 'image/jpeg', 'text/plain', 'application/zip'])
      expect(safeDownloadType(t)).toBe(t);
    for (const t of [
      'text/html',
      'image/svg+xml',
      'application/xhtml+xml',
      'text/xml',
      'application/pdf',
      'text/x-shellscript',
      'application/x-msdownload',
      'text/vtt',
      'application/wasm',
      'multipart/x-mixed-replace',
      'image/svg+xml; charset=utf-8',
      'nonsense',
    ]) {
      expect(safeDownloadType(t), t).toBe('application/octet-stream');
    }
  });
});

describe('logs', () => {
  it('never carry query strings (OAuth code and state, searched addresses)', async () => {
    const before = f.t.logs.length;
    await f.t.app.inject({
      method: 'GET',
      url: '/v1/oauth/google/callback?code=4/0SECRETCODE&state=SECRETSTATE',
    });
    await req('GET', '/v1/tickets?q=customer%40client.example');
    const written = f.t.logs.slice(before).join('\n');
    expect(written).toMatch(/\/v1\/tickets/);
    expect(written).not.toMatch(/SECRETCODE|SECRETSTATE|customer(%40|@)client/);
  });
});
