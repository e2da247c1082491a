// Inlet wired to the strict Microsoft fake: a test app listening on a real port (the fake validates
// subscription URLs and POSTs notifications to it through INLET_PUBLIC_URL), Microsoft variables
// pointing at the fake, a tenant, and the steps a helpdesk user takes.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import type { MicrosoftRuntime } from '../../src/providers/microsoft/graph-session.js';
import { defaultLimits } from '../../src/providers/microsoft/microsoft-settings.js';
import { syncMailbox, type SyncResult } from '../../src/sync/sync-mailbox.js';
import { runMailboxTask } from '../../src/sync/upkeep.js';
import {
  type MicrosoftFake,
  type MicrosoftFakeOptions,
  startMicrosoftFake,
} from '../fakes/microsoft/index.js';
import { trustTestCa } from '../fakes/microsoft/tls.js';
import { makeTestApp, type TestApp } from './app.js';
import { makeBrowser } from './consent-browser.js';
import { registerReturnOrigin } from './return-origins.js';
import { bearer, createTenant, operatorKey, testKeyring } from './tenants.js';

export const publicUrl = 'https://inlet.test';

export interface MicrosoftHarness {
  fake: MicrosoftFake;
  t: TestApp;
  tenant: { id: string; token: string };
  runtime: MicrosoftRuntime;
  /** Consent in a "browser": start → Microsoft sign-in → callback. */
  connect(
    email: string,
    opts?: { sharedMailbox?: string },
  ): Promise<{ status: number; location: URL | null; body: string; mailboxId: string | null }>;
  startUrl(body?: Record<string, unknown>): Promise<URL>;
  sync(mailboxId: string): Promise<SyncResult>;
  /** Syncs until one finishes (a throttled sync fails and is retried by the job queue). */
  syncThrough(mailboxId: string, tries?: number): Promise<SyncResult[]>;
  subscriptionTask(mailboxId: string): Promise<void>;
  syncJobs(mailboxId: string): Promise<number>;
  clearJobs(): Promise<void>;
  owner<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** `env` adds to (or overrides) the app's settings, such as INGEST_MAX_MESSAGE_BYTES. */
export async function makeMicrosoftHarness(
  opts: MicrosoftFakeOptions = {},
  env: Record<string, string> = {},
): Promise<MicrosoftHarness> {
  const fake = await startMicrosoftFake(opts);
  trustTestCa();
  const t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    INLET_MASTER_KEYS: testKeyring(),
    CLAMD_PORT: '1',
    CLAMD_TIMEOUT_MS: '2000',
    INLET_PUBLIC_URL: publicUrl,
    MICROSOFT_CLIENT_ID: fake.app.clientId,
    MICROSOFT_CLIENT_SECRET: fake.app.clientSecret,
    MICROSOFT_AUTHORITY: `${fake.origin}/organizations`,
    MICROSOFT_GRAPH_URL: fake.origin,
    ...env,
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  fake.configureDelivery({
    publicOrigin: publicUrl,
    target: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`,
    retryDelayMs: 50,
  });
  const runtime = t.container.providerDeps.graph!;
  // Short waits so backoff tests run in seconds; the policy is the same.
  runtime.limits = { ...defaultLimits, baseMs: 50, maxWaitMs: 3000 };
  const tenant = await createTenant(t, 'Acme');
  const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
    (await t.database.db.tx((ex) => ex.query<T>(sql, params))).rows;

  const browser = makeBrowser(t);
  const startUrl = async (body: Record<string, unknown> = {}) => {
    await registerReturnOrigin(t, tenant.token, 'https://helpdesk.example/settings/mailboxes');
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes/oauth/microsoft/start',
      headers: bearer(tenant.token),
      payload: { return_url: 'https://helpdesk.example/settings/mailboxes', ...body },
    });
    if (res.statusCode !== 200) throw new Error(`start: ${res.statusCode} ${res.body}`);
    return browser.openConsent(res.json().consent_url as string);
  };
  const sync = (mailboxId: string) =>
    syncMailbox({ ...t.container, pageSize: 5 }, tenant.id, mailboxId);

  return {
    fake,
    t,
    tenant,
    runtime,
    startUrl,
    owner,
    sync,
    async connect(email, o = {}) {
      const url = await startUrl({
        login_hint: email,
        ...(o.sharedMailbox ? { shared_mailbox: o.sharedMailbox } : {}),
      });
      const signIn = await fetch(url, { redirect: 'manual' });
      const back = new URL(signIn.headers.get('location') ?? 'https://nowhere.invalid/');
      const res = await browser.get(t, `${back.pathname}${back.search}`);
      const location = res.location;
      return {
        status: res.status,
        location,
        body: res.body,
        mailboxId: location?.searchParams.get('mailbox_id') ?? null,
      };
    },
    async syncThrough(mailboxId, tries = 10) {
      const results: SyncResult[] = [];
      for (let i = 0; i < tries; i++) {
        try {
          results.push(await sync(mailboxId));
          return results;
        } catch (err) {
          if ((err as { kind?: string }).kind !== 'rate_limited') throw err;
          await new Promise((r) =>
            setTimeout(r, (err as { retryAfterMs?: number }).retryAfterMs ?? 100),
          );
        }
      }
      throw new Error('sync never finished');
    },
    subscriptionTask: (mailboxId) =>
      runMailboxTask(
        {
          db: t.container.db,
          keys: t.container.keys,
          logger: t.container.logger,
          config: t.config,
          providerDeps: t.container.providerDeps,
        },
        'graph',
        'subscription',
        tenant.id,
        mailboxId,
      ),
    syncJobs: async (mailboxId) =>
      (
        await owner<{ n: number }>(
          `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = $1`,
          [`sync:${mailboxId}`],
        )
      )[0]!.n,
    clearJobs: async () => {
      await owner('DELETE FROM graphile_worker._private_jobs');
    },
    async close() {
      await t.close();
      await fake.close();
    },
  };
}

/** A call to Inlet's API as the harness tenant, each with its own idempotency key. */
export const tenantApi = (
  h: MicrosoftHarness,
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
) =>
  h.t.app.inject({
    method,
    url,
    headers: { ...bearer(h.tenant.token), 'idempotency-key': randomUUID() },
    payload: payload as never,
  });
