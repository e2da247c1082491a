// The Microsoft fake driven by the real @azure/msal-node and @microsoft/microsoft-graph-client: the
// clients accept what it says, and it refuses what Graph and Entra ID refuse.
import { createHash, randomBytes } from 'node:crypto';

import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  ServerError,
} from '@azure/msal-node';
import { Client, ResponseType, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { mail } from '../../helpers/mail.js';
import { type MicrosoftFake, startMicrosoftFake } from './index.js';
import { trustTestCa } from './tls.js';

let fake: MicrosoftFake;
const noRetry = () => [new RetryHandlerOptions(0, 0, () => false)];

beforeAll(async () => {
  fake = await startMicrosoftFake();
  trustTestCa();
});
afterAll(async () => {
  await fake?.close();
});

function msal(): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: fake.app.clientId,
      clientSecret: fake.app.clientSecret,
      authority: `${fake.origin}/organizations`,
      knownAuthorities: [fake.host],
    },
  });
}

async function signIn(email: string, scopes = ['User.Read', 'Mail.Read', 'Mail.Send']) {
  const app = msal();
  const verifier = randomBytes(32).toString('base64url');
  const url = await app.getAuthCodeUrl({
    scopes,
    redirectUri: fake.app.redirectUris[0]!,
    state: 's1',
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
    loginHint: email,
  });
  const res = await fetch(url, { redirect: 'manual' });
  const back = new URL(res.headers.get('location')!);
  const result = await app.acquireTokenByCode({
    code: back.searchParams.get('code')!,
    scopes,
    redirectUri: fake.app.redirectUris[0]!,
    codeVerifier: verifier,
  });
  const graph = Client.initWithMiddleware({
    baseUrl: `${fake.origin}/`,
    customHosts: new Set(['localhost']),
    authProvider: {
      getAccessToken: async () =>
        (await app.acquireTokenSilent({ account: result.account!, scopes })).accessToken,
    },
  });
  return { app, result, back, graph };
}

describe('microsoft fake with the real MSAL and Graph client', () => {
  test('code + PKCE → tokens with client_info; /me; a wrong verifier and a reused code are refused', async () => {
    fake.addUser('agent@contoso.example');
    const { result, back, graph } = await signIn('agent@contoso.example');
    expect(back.searchParams.get('state')).toBe('s1');
    expect(result.account!.homeAccountId).toMatch(/^[0-9a-f-]{36}\.[0-9a-f-]{36}$/);
    expect(result.account!.username).toBe('agent@contoso.example');
    expect(await graph.api('/me').select('id,mail').get()).toMatchObject({
      mail: 'agent@contoso.example',
    });

    const app = msal();
    const url = await app.getAuthCodeUrl({
      scopes: ['Mail.Read'],
      redirectUri: fake.app.redirectUris[0]!,
      codeChallenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'),
      codeChallengeMethod: 'S256',
      loginHint: 'agent@contoso.example',
    });
    const code = new URL(
      (await fetch(url, { redirect: 'manual' })).headers.get('location')!,
    ).searchParams.get('code')!;
    const wrong = await app
      .acquireTokenByCode({
        code,
        scopes: ['Mail.Read'],
        redirectUri: fake.app.redirectUris[0]!,
        codeVerifier: 'w'.repeat(43),
      })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ServerError);
    expect((wrong as ServerError).errorCode).toBe('invalid_grant');
    const again = await app
      .acquireTokenByCode({
        code,
        scopes: ['Mail.Read'],
        redirectUri: fake.app.redirectUris[0]!,
        codeVerifier: 'v'.repeat(43),
      })
      .catch((e: unknown) => e);
    expect((again as ServerError).errorCode).toBe('invalid_grant');
  });

  test('delta pages to a deltaLink, then only new mail; an evicted token answers 410 syncStateNotFound', async () => {
    fake.addUser('delta@contoso.example');
    for (let i = 0; i < 5; i++)
      fake.deliver(
        'delta@contoso.example',
        mail({ to: 'delta@contoso.example', subject: `m${i}` }),
      );
    const { graph } = await signIn('delta@contoso.example');
    let link = '/me/mailFolders/inbox/messages/delta?$select=id,internetMessageId';
    const ids: string[] = [];
    let delta = '';
    for (let pages = 0; pages < 10 && !delta; pages++) {
      const page = await graph
        .api(link)
        .header('Prefer', 'IdType="ImmutableId", odata.maxpagesize=2')
        .get();
      ids.push(...page.value.map((m: { id: string }) => m.id));
      if (page['@odata.deltaLink']) delta = page['@odata.deltaLink'];
      else link = page['@odata.nextLink'];
    }
    expect(ids).toHaveLength(5);
    expect(delta).toMatch(/^https:\/\/localhost:\d+\/v1\.0\/users\/.+\$deltatoken=/);
    const raw = Buffer.from(
      await graph.api(`/me/messages/${ids[0]}/$value`).responseType(ResponseType.ARRAYBUFFER).get(),
    );
    expect(raw.toString()).toContain('Subject: m0');
    fake.deliver('delta@contoso.example', mail({ to: 'delta@contoso.example', subject: 'new' }));
    const next = await graph.api(delta).header('Prefer', 'IdType="ImmutableId"').get();
    expect(next.value).toHaveLength(1);
    fake.expireDeltaTokens('delta@contoso.example');
    const gone = await graph
      .api(next['@odata.deltaLink'])
      .middlewareOptions(noRetry())
      .get()
      .catch((e: unknown) => e);
    expect(gone).toMatchObject({ statusCode: 410, code: 'SyncStateNotFound' });
  });

  test('sendMail takes base64 MIME and files it in Sent Items; JSON with a non-x- header and bad base64 are refused', async () => {
    fake.addUser('send@contoso.example');
    const { graph } = await signIn('send@contoso.example');
    const mime = mail({
      from: 'send@contoso.example',
      to: 'c@client.example',
      messageId: 'ours-1@inlet.example',
      inReplyTo: '<x@client.example>',
    });
    await graph
      .api('/me/sendMail')
      .header('Content-Type', 'text/plain')
      .post(mime.toString('base64'));
    expect(fake.sent('send@contoso.example')[0]!.mime.equals(mime)).toBe(true);
    const found = await graph
      .api('/me/mailFolders/sentitems/messages')
      .filter("internetMessageId eq '<ours-1@inlet.example>'")
      .select('id')
      .get();
    expect(found.value).toHaveLength(1);
    const bad = await graph
      .api('/me/sendMail')
      .header('Content-Type', 'text/plain')
      .middlewareOptions(noRetry())
      .post('not base64!')
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ statusCode: 400, code: 'ErrorMimeContentInvalidBase64String' });
    const header = await graph
      .api('/me/sendMail')
      .middlewareOptions(noRetry())
      .post({ message: { internetMessageHeaders: [{ name: 'In-Reply-To', value: '<a@b>' }] } })
      .catch((e: unknown) => e);
    expect(header).toMatchObject({ statusCode: 400, code: 'InvalidInternetMessageHeader' });
  });

  test('throttled calls carry Retry-After; a revoked user gets invalid_grant (MSAL: reconnect needed)', async () => {
    fake.addUser('busy@contoso.example');
    const { graph, app, result } = await signIn('busy@contoso.example');
    fake.throttleNext('busy@contoso.example', 1, { retryAfterSec: 7 });
    const t = (await graph
      .api('/me/mailFolders/inbox/messages/delta')
      .middlewareOptions(noRetry())
      .get()
      .catch((e: unknown) => e)) as { statusCode: number; headers: Headers };
    expect(t.statusCode).toBe(429);
    expect(t.headers.get('retry-after')).toBe('7');
    fake.revokeUser('busy@contoso.example');
    const err = await app
      .acquireTokenSilent({ account: result.account!, scopes: ['Mail.Read'], forceRefresh: true })
      .catch((e: unknown) => e);
    expect(
      err instanceof InteractionRequiredAuthError ||
        (err instanceof ServerError && err.errorCode === 'invalid_grant'),
    ).toBe(true);
  });

  test('subscriptions refuse a shared mailbox with delegated .Shared scopes', async () => {
    fake.addUser('owner@contoso.example');
    fake.addSharedMailbox('help@contoso.example', ['owner@contoso.example']);
    const { graph } = await signIn('owner@contoso.example', [
      'User.Read',
      'Mail.Read',
      'Mail.Read.Shared',
    ]);
    expect((await graph.api('/users/help@contoso.example/mailFolders/inbox').get()).id).toBe(
      'inbox',
    );
    const refused = await graph
      .api('/subscriptions')
      .middlewareOptions(noRetry())
      .post({
        changeType: 'created',
        resource: "users/help@contoso.example/mailFolders('inbox')/messages",
        notificationUrl: 'https://inlet.test/n',
        expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
        clientState: 'x',
      })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 403 });
  });
});
