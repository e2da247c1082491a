// A tenant with local mailboxes on a fresh database, and the real pipeline to feed them.
import { randomUUID } from 'node:crypto';

import { makeOutboundMessageId } from '../../src/crypto/index.js';
import type { IngestOutcome } from '../../src/ingest/pipeline.js';
import { makeTestApp, type TestApp } from './app.js';
import { bearer, createTenant, operatorKey, testKeyring } from './tenants.js';

export interface IngestFixture {
  t: TestApp;
  /** INLET_MASTER_KEYS of this fixture, for child processes that must read its data. */
  keyring: string;
  tenant: { id: string; token: string };
  mailbox: string;
  addMailbox(address: string): Promise<string>;
  ingest(
    raw: Buffer,
    opts?: { mailboxId?: string; providerMessageId?: string; providerThreadId?: string },
  ): Promise<IngestOutcome>;
  api<T = unknown>(
    method: 'GET' | 'PATCH' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ): Promise<{ status: number; body: T; headers: Record<string, unknown>; raw: Buffer }>;
}

export async function makeIngestFixture(env: Record<string, string> = {}): Promise<IngestFixture> {
  const keyring = testKeyring();
  const t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    INLET_MASTER_KEYS: keyring,
    CLAMD_PORT: '1',
    CLAMD_TIMEOUT_MS: '2000',
    ...env,
  });
  const tenant = await createTenant(t, 'Acme');
  const api: IngestFixture['api'] = async (method, url, payload) => {
    const res = await t.app.inject({
      method,
      url,
      headers: bearer(tenant.token),
      payload: payload as never,
    });
    const isJson = String(res.headers['content-type'] ?? '').includes('json');
    return {
      status: res.statusCode,
      body: (isJson ? res.json() : res.body) as never,
      headers: res.headers,
      raw: res.rawPayload,
    };
  };
  const addMailbox = async (address: string) => {
    const res = await api<{ id: string }>('POST', '/v1/mailboxes', { provider: 'local', address });
    if (res.status !== 201) throw new Error(`mailbox: ${res.status}`);
    return res.body.id;
  };
  const mailbox = await addMailbox('support@acme.example');
  return {
    t,
    keyring,
    tenant,
    mailbox,
    addMailbox,
    api,
    ingest: (raw, opts = {}) =>
      t.container.pipeline.ingest({
        tenantId: tenant.id,
        mailboxId: opts.mailboxId ?? mailbox,
        providerMessageId: opts.providerMessageId ?? randomUUID(),
        providerThreadId: opts.providerThreadId ?? null,
        raw,
      }),
  };
}

/** A Message-ID as Inlet signs its replies for the fixture's tenant (with angle brackets). */
export async function signedMessageId(f: IngestFixture, outboxId: string): Promise<string> {
  const signing = await f.t.database.db.tenantTx(f.tenant.id, (c) =>
    f.t.container.keys.tenantKey(c, f.tenant.id, 'signing'),
  );
  return makeOutboundMessageId(signing.key, f.tenant.id, outboxId, 'acme.example');
}
