// Random requests against the real app (real PostgreSQL, every route of the OpenAPI document):
// whatever a client sends, the answer is never a 500, every error is problem+json whose code is
// one of src/errors.ts with that code's status, and tenant A's key never gets to see (or change)
// anything of tenant B's — not an id, not a subject.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { errorCodes, isErrorCode } from '../../src/errors.js';
import { type IngestFixture, makeIngestFixture } from '../helpers/ingest.js';
import { mail } from '../helpers/mail.js';
import { bearer, createTenant } from '../helpers/tenants.js';
import { fuzzParams, fuzzTimeout } from './fuzz-runs.js';
import { type FuzzRequest, fuzzRequest, operationsOf } from './http-requests.js';

// Tenant B (the fixture's tenant) is the victim; tenant A the caller.
let f: IngestFixture;
let a: { id: string; token: string; keyId: string };
const bSecrets: string[] = [];
const ids: string[] = [];
const B_SUBJECT = 'Quarterly numbers for B only';

async function ingestFor(tenantId: string, mailboxId: string, subject: string) {
  const o = await f.t.container.pipeline.ingest({
    tenantId,
    mailboxId,
    providerMessageId: `fuzz-${subject}`,
    providerThreadId: null,
    raw: mail({
      subject,
      text: 'Please see the attached file.',
      attachments: [{ filename: 'n.txt', contentType: 'text/plain', content: Buffer.from('n') }],
    }),
  });
  if (o.status !== 'stored') throw new Error(`not stored: ${o.status}`);
  return o;
}

beforeAll(async () => {
  f = await makeIngestFixture({
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_PER_TENANT_PER_MINUTE: '100000',
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '100000',
  });
  const b = await ingestFor(f.tenant.id, f.mailbox, B_SUBJECT);
  const bTicket = (
    await f.api<{ messages: { attachments: { id: string }[] }[] }>(
      'GET',
      `/v1/tickets/${b.ticketId}`,
    )
  ).body;
  const bAttachment = bTicket.messages[0]!.attachments[0]!.id;
  const bKey = (await f.api<{ id: string }>('GET', '/v1/api-keys')).body as unknown as {
    items: { id: string }[];
  };
  bSecrets.push(f.tenant.id, f.mailbox, b.ticketId, b.messageId, bAttachment, B_SUBJECT);
  bSecrets.push(...bKey.items.map((k) => k.id));

  a = await createTenant(f.t, 'Tenant A');
  const aMailbox = (
    await f.t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes',
      headers: bearer(a.token),
      payload: { provider: 'local', address: 'help@a.example' },
    })
  ).json().id as string;
  const aMessage = await ingestFor(a.id, aMailbox, 'A ticket');
  ids.push(a.id, aMailbox, aMessage.ticketId, aMessage.messageId, a.keyId, ...bSecrets.slice(0, 5));
}, 180_000);

afterAll(async () => {
  await f?.t.close();
});

/** Everything wrong with one answer (empty = fine). */
function answerProblems(
  req: FuzzRequest,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
): string[] {
  const where = `${req.method} ${req.url.slice(0, 120)} → ${res.statusCode}`;
  const problems: string[] = [];
  if (res.statusCode >= 500 && res.statusCode !== 501)
    problems.push(`${where}: server error ${res.body.slice(0, 300)}`);
  const type = String(res.headers['content-type'] ?? '');
  const page = req.pages.includes(res.statusCode) && type.startsWith('text/html');
  if (res.statusCode >= 400 && !page) {
    if (!type.startsWith('application/problem+json'))
      problems.push(`${where}: content-type ${type}`);
    else {
      const body = JSON.parse(res.body) as { code?: unknown; status?: unknown };
      if (!isErrorCode(body.code)) problems.push(`${where}: code ${String(body.code)}`);
      else if (errorCodes[body.code] !== res.statusCode || body.status !== res.statusCode)
        problems.push(`${where}: code ${body.code} with status ${res.statusCode}`);
    }
  }
  // An id A sent may come back (a 404 names what was not found); anything else of B's may not.
  const sent = `${req.url} ${req.payload ?? ''}`;
  if (req.headers.authorization === `Bearer ${a.token}`)
    for (const secret of bSecrets)
      if (res.body.includes(secret) && !sent.includes(secret))
        problems.push(`${where}: shows tenant B's ${secret}`);
  return problems;
}

describe('the HTTP API under random requests', () => {
  it(
    'never answers 500, answers every error as problem+json with a stable code, and never shows tenant B to tenant A',
    async () => {
      const ops = operationsOf(f.t.app.swagger() as never);
      expect(ops.length).toBeGreaterThan(40);
      const auths = [
        `Bearer ${a.token}`,
        `Bearer ${a.token}`,
        'Bearer nope',
        'Basic eA==',
        `Bearer ${a.token.slice(0, -1)}x`,
        '',
      ];
      await fc.assert(
        fc.asyncProperty(fuzzRequest(ops, ids, auths), async (req) => {
          const { pages: _, ...request } = req;
          const res = await f.t.app.inject({ ...request, method: req.method as 'GET' });
          expect(answerProblems(req, res)).toEqual([]);
        }),
        fuzzParams(400),
      );
      // Whatever A did, B's ticket, mailbox and key are as they were.
      const ticket = await f.api<{ subject: string }>('GET', `/v1/tickets/${bSecrets[2]}`);
      expect(ticket.body.subject).toBe(B_SUBJECT);
      const mailbox = await f.api<{ status: string }>('GET', `/v1/mailboxes/${f.mailbox}`);
      expect(mailbox.body.status).toBe('active');
      expect((await f.api('GET', '/v1/api-keys')).status).toBe(200);
    },
    fuzzTimeout(400, 100),
  );
});
