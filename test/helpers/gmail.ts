// Inlet wired to the strict Google fake: a test app listening on a real port (the fake POSTs pushes
// to it), Google variables pointing at the fake, a tenant, and the steps a helpdesk user takes.
import type { AddressInfo } from 'node:net';

import { syncMailbox, type SyncResult } from '../../src/sync/sync-mailbox.js';
import { consent } from '../fakes/google/connect.js';
import { type GoogleFake, type GoogleFakeOptions, startGoogleFake } from '../fakes/google/index.js';
import { makeTestApp, type TestApp } from './app.js';
import { type Browser, makeBrowser } from './consent-browser.js';
import { registerReturnOrigin } from './return-origins.js';
import { bearer, createTenant, operatorKey, testKeyring } from './tenants.js';

export const publicUrl = 'https://inlet.test';
export const pushAccount = 'gmail-push@inlet-test.iam.gserviceaccount.com';
export const pushAudience = `${publicUrl}/v1/webhooks/google/pubsub`;

export interface GmailHarness {
  fake: GoogleFake;
  t: TestApp;
  tenant: { id: string; token: string };
  pushEndpoint: string;
  /** Runs the consent flow in a "browser"; returns the callback's redirect (or page). */
  connect(
    email: string,
    opts?: { token?: string; returnUrl?: string },
  ): Promise<{ status: number; location: URL | null; body: string; mailboxId: string | null }>;
  /** Start, then open the consent URL in `browser` (default: the harness's one browser). */
  startUrl(token?: string, returnUrl?: string, browser?: Browser): Promise<URL>;
  /** The provider's redirect back, in `browser` (default: the one that opened the consent URL). */
  callback(
    query: URLSearchParams | string,
    browser?: Browser,
  ): Promise<{ status: number; location: URL | null; body: string }>;
  /** A browser of its own (no cookies): "someone else's browser". */
  newBrowser(): Browser;
  sync(mailboxId: string): Promise<SyncResult>;
  syncJobs(mailboxId: string): Promise<number>;
  clearJobs(): Promise<void>;
  owner<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** `env` adds to (or overrides) the app's settings, such as INGEST_MAX_MESSAGE_BYTES. */
export async function makeGmailHarness(
  opts: GoogleFakeOptions = {},
  env: Record<string, string> = {},
): Promise<GmailHarness> {
  const client = {
    clientId: '123456789012-inlet.apps.googleusercontent.com',
    clientSecret: 'GOCSPX-harness',
    redirectUris: [`${publicUrl}/v1/oauth/google/callback`],
  };
  const fake = await startGoogleFake({ clients: [client], ...opts });
  const t = await makeTestApp({
    INLET_OPERATOR_KEY: operatorKey,
    INLET_MASTER_KEYS: testKeyring(),
    CLAMD_PORT: '1',
    CLAMD_TIMEOUT_MS: '2000',
    INLET_PUBLIC_URL: publicUrl,
    GOOGLE_CLIENT_ID: client.clientId,
    GOOGLE_CLIENT_SECRET: client.clientSecret,
    GOOGLE_OAUTH_AUTH_URL: fake.oauthEndpoints.oauth2AuthBaseUrl,
    GOOGLE_OAUTH_TOKEN_URL: fake.oauthEndpoints.oauth2TokenUrl,
    GOOGLE_OAUTH_REVOKE_URL: fake.oauthEndpoints.oauth2RevokeUrl,
    GOOGLE_GMAIL_API_URL: fake.gmailRootUrl,
    GOOGLE_JWKS_URL: fake.jwksUrl,
    GOOGLE_PUBSUB_TOPIC: `projects/${fake.projectId}/topics/gmail-push`,
    GOOGLE_PUSH_SERVICE_ACCOUNT: pushAccount,
    ...env,
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const pushEndpoint = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1/webhooks/google/pubsub`;
  fake.configurePush({
    endpoint: pushEndpoint,
    audience: pushAudience,
    serviceAccountEmail: pushAccount,
    maxPerSecond: 0,
  });
  // Short waits so backoff tests run in seconds; the policy is the same.
  t.container.providerDeps.gmail!.backoff = { baseMs: 50, maxWaitMs: 2000, attempts: 4 };
  const tenant = await createTenant(t, 'Acme');
  const owner = async <T extends object>(sql: string, params: unknown[] = []) =>
    (await t.database.db.tx((ex) => ex.query<T>(sql, params))).rows;

  const browser = makeBrowser(t);
  const startUrl = async (
    token = tenant.token,
    returnUrl = 'https://helpdesk.example/settings/mailboxes',
    inBrowser: Browser = browser,
  ) => {
    await registerReturnOrigin(t, token, returnUrl);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/mailboxes/oauth/google/start',
      headers: bearer(token),
      payload: { return_url: returnUrl },
    });
    if (res.statusCode !== 200) throw new Error(`start: ${res.statusCode} ${res.body}`);
    return inBrowser.openConsent(res.json().consent_url as string);
  };
  const callback = (query: URLSearchParams | string, inBrowser: Browser = browser) =>
    inBrowser.get(t, `/v1/oauth/google/callback?${query.toString()}`);

  return {
    fake,
    t,
    tenant,
    pushEndpoint,
    startUrl,
    callback,
    newBrowser: () => makeBrowser(t),
    owner,
    async connect(email, o = {}) {
      try {
        fake.historyId(email);
      } catch {
        fake.addUser(email); // addUser replaces an existing user's mailbox, so only for new ones
      }
      const url = await startUrl(o.token, o.returnUrl);
      url.searchParams.set('login_hint', email);
      const back = await callback(await consent(url.toString()));
      return { ...back, mailboxId: back.location?.searchParams.get('mailbox_id') ?? null };
    },
    sync: (mailboxId) => syncMailbox({ ...t.container, pageSize: 5 }, tenant.id, mailboxId),
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
