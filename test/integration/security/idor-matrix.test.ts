// Every route that addresses a tenant's resource by id answers another tenant's key with 404, never
// 403 or the resource (control 49 of ../shared/docs/security.md: no existence oracle, no
// cross-tenant read or write).
// The routes come from openapi.yaml, which openapi-drift.test.ts keeps equal to the live route
// table, so a new id route fails here until it has a row below. Each denial must also leave the
// operator its access_denied trace (control 7 of docs/security.md), without the id.
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, expect, test } from 'vitest';
import { parse } from 'yaml';

import { type IngestFixture, makeIngestFixture } from '../../helpers/ingest.js';
import { localMailEnv } from '../../helpers/local-mail.js';
import { mail } from '../../helpers/mail.js';
import { bearer, createTenant, operatorKey } from '../../helpers/tenants.js';

/** Operator-only routes: a tenant key is refused before any id is read (isolation.test.ts). */
const operatorOnly = new Set(['DELETE /v1/tenants/{id}']);

type Kind = 'ticket' | 'message' | 'attachment' | 'mailbox' | 'apiKey' | 'endpoint' | 'request';
const kindOf: Record<string, Kind> = {
  '/v1/tickets': 'ticket',
  '/v1/messages': 'message',
  '/v1/attachments': 'attachment',
  '/v1/mailboxes': 'mailbox',
  '/v1/api-keys': 'apiKey',
  '/v1/webhook-endpoints': 'endpoint',
  '/v1/subject-requests': 'request',
};

/** A body each route accepts, so the request passes validation and reaches the tenant lookup. */
const bodies: Record<string, object> = {
  'PUT /v1/mailboxes/{id}/credentials': {
    imap: { host: 'imap.x.example', port: 993, tls: true, user: 'x@x.example', password: 'p' },
    smtp: { host: 'smtp.x.example', port: 465, tls: true, user: 'x@x.example', password: 'p' },
  },
  'PATCH /v1/tickets/{id}': { status: 'closed' },
  'POST /v1/tickets/{id}/replies': { text: 'Taking over your ticket.' },
  'PATCH /v1/webhook-endpoints/{id}': { enabled: false },
  'POST /v1/webhook-endpoints/{id}/rotate-secret': {},
  'POST /v1/webhook-endpoints/{id}/replay': { since: '2020-01-01T00:00:00Z' },
};

let f: IngestFixture;
let ids: Record<Kind, string>;

beforeAll(async () => {
  // The operator walk answers 401 per route: more routes than the default failed-auth budget
  // must not turn into 429s.
  f = await makeIngestFixture({ ...localMailEnv, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000' });
  const stored = await f.ingest(
    mail({
      from: 'Pat <pat@client.example>',
      subject: 'Invoice question',
      text: 'Please see the attached invoice.',
      attachments: [
        { filename: 'invoice.txt', contentType: 'text/plain', content: Buffer.from('total 42') },
      ],
    }),
  );
  if (stored.status !== 'stored') throw new Error(`not stored: ${stored.status}`);
  const ticket = await f.api<{ messages: { attachments: { id: string }[] }[] }>(
    'GET',
    `/v1/tickets/${stored.ticketId}`,
  );
  const endpoint = await f.api<{ id: string }>('POST', '/v1/webhook-endpoints', {
    url: 'http://127.0.0.1:9999/hook',
  });
  const request = await f.api<{ id: string }>('POST', '/v1/subject-requests', {
    type: 'export',
    address: 'pat@client.example',
  });
  expect([endpoint.status, request.status]).toEqual([201, 202]);
  ids = {
    ticket: stored.ticketId,
    message: stored.messageId,
    attachment: ticket.body.messages[0]!.attachments[0]!.id,
    mailbox: f.mailbox,
    apiKey: (await createKey()).id,
    endpoint: endpoint.body.id,
    request: request.body.id,
  };
});
afterAll(async () => {
  await f?.t.close();
});

async function createKey(): Promise<{ id: string }> {
  const res = await f.api<{ id: string }>('POST', '/v1/api-keys', {
    name: 'reader',
    scopes: ['tickets:read'],
  });
  expect(res.status).toBe(201);
  return res.body;
}

function idRoutes(): { method: string; path: string }[] {
  const spec = parse(readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(spec.paths)
    .filter(([path]) => path.includes('{id}'))
    .flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path })),
    )
    .filter((r) => !operatorOnly.has(`${r.method} ${r.path}`));
}

test("another tenant's key gets 404 on every id route, and the owner's data is unchanged", async () => {
  const intruder = await createTenant(f.t, 'Intruder');
  const routes = idRoutes();
  expect(routes.length).toBeGreaterThanOrEqual(18);
  const before = await snapshot();
  for (const { method, path } of routes) {
    const kind = kindOf[path.slice(0, path.indexOf('/{id}'))];
    expect(kind, `${method} ${path} needs a resource kind in kindOf`).toBeDefined();
    const logged = f.t.logs.length;
    const res = await f.t.app.inject({
      method: method as 'GET',
      url: path.replace('{id}', ids[kind!]),
      headers: { ...bearer(intruder.token), 'idempotency-key': `idor-${method}-${path}` },
      payload: bodies[`${method} ${path}`] as never,
    });
    expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(404);
    expect(res.json().code, `${method} ${path}`).toBe('not_found');
    // security.md control 7: each denial leaves the operator a trace naming the route, not the id.
    const denied = f.t.logs
      .slice(logged)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === 'access_denied');
    expect(denied, `${method} ${path}`).toEqual([
      expect.objectContaining({ status: 404, route: path.replaceAll('{id}', ':id') }),
    ]);
    expect(JSON.stringify(denied)).not.toContain(ids[kind!]);
  }
  expect(await snapshot()).toEqual(before);
});

test("the operator key opens no tenant's resource: the vendor's staff cannot read mail by default", async () => {
  // Control 57 of ../shared/docs/security.md: the operator key creates and offboards tenants only.
  const before = await snapshot();
  for (const { method, path } of idRoutes()) {
    const kind = kindOf[path.slice(0, path.indexOf('/{id}'))]!;
    const res = await f.t.app.inject({
      method: method as 'GET',
      url: path.replace('{id}', ids[kind]),
      headers: { ...bearer(operatorKey), 'idempotency-key': `operator-${method}-${path}` },
      payload: bodies[`${method} ${path}`] as never,
    });
    expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(401);
  }
  expect(await snapshot()).toEqual(before);
});

/** What the owner sees of each resource the matrix addressed. */
async function snapshot(): Promise<unknown> {
  const read = async (url: string) => {
    const res = await f.api<Record<string, unknown>>('GET', url);
    return { status: res.status, body: res.body };
  };
  const keys = await f.api<{ items: { id: string; revoked_at?: unknown }[] }>(
    'GET',
    '/v1/api-keys',
  );
  const endpoint = await read(`/v1/webhook-endpoints/${ids.endpoint}`);
  const request = await read(`/v1/subject-requests/${ids.request}`);
  return {
    ticket: await read(`/v1/tickets/${ids.ticket}`),
    replies: await read(`/v1/tickets/${ids.ticket}/replies`),
    mailbox: await read(`/v1/mailboxes/${ids.mailbox}`),
    key: keys.body.items.find((k) => k.id === ids.apiKey),
    endpoint: { status: endpoint.status, enabled: endpoint.body.enabled },
    request: { status: request.status, id: request.body.id },
  };
}
