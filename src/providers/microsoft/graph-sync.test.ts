// security.md "provider faults": delta pages Graph should never send. A link off the configured
// Graph endpoint is never followed (it would carry the mailbox's token and cursor elsewhere), and
// wrong types are a transient ProviderError, never a TypeError or an Invalid Date downstream.
import { describe, expect, it } from 'vitest';

import type { Cursor } from '../mail-provider.js';
import { isProviderError } from '../provider-errors.js';
import type { GraphSession } from './graph-session.js';
import { listGraphChanges } from './graph-sync.js';

const GRAPH = 'https://graph.microsoft.com';
const opts = { backfill: {}, pageSize: 50 };

function sessionAnswering(page: unknown): { s: GraphSession; fetched: string[] } {
  const fetched: string[] = [];
  const request = (link: string) => {
    const r = {
      header: () => r,
      middlewareOptions: () => r,
      get: async () => {
        fetched.push(link);
        return page;
      },
    };
    return r;
  };
  const client = { api: request };
  const s = {
    base: '/me',
    origin: GRAPH,
    client,
    call: (_what: string, fn: (c: unknown) => Promise<unknown>) => fn(client),
  } as unknown as GraphSession;
  return { s, fetched };
}

const at = (link: string): Cursor => ({ provider: 'graph', v: 1, link, backfill: null });
const ok = {
  value: [],
  '@odata.deltaLink': `${GRAPH}/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=a`,
};

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('graph delta with hostile pages', () => {
  it.each([
    [
      'nextLink to another host',
      { value: [{ id: 'm1' }], '@odata.nextLink': 'https://evil.example/steal' },
    ],
    [
      'deltaLink to the metadata address',
      { value: [], '@odata.deltaLink': 'http://169.254.169.254/latest' },
    ],
    ['deltaLink not an absolute URL', { value: [], '@odata.deltaLink': '/v1.0/me/delta' }],
    ['deltaLink of the wrong type', { value: [], '@odata.deltaLink': 42 }],
    ['value is an object', { ...ok, value: { id: 'm1' } }],
    ['value holds null', { ...ok, value: [null] }],
  ])('%s → transient provider error; no item, no cursor', async (_name, page) => {
    const { s } = sessionAnswering(page);
    const err = await errorOf(listGraphChanges(s, at(ok['@odata.deltaLink']), opts));
    expect(isProviderError(err) && err.kind).toBe('transient');
  });

  it('keeps items with junk dates and ids of the wrong type out of the typed fields', async () => {
    const { s } = sessionAnswering({
      ...ok,
      value: [
        { id: 'm1', receivedDateTime: 'yesterday', conversationId: 7, internetMessageId: {} },
        { id: 9 },
      ],
    });
    const r = await listGraphChanges(s, at(ok['@odata.deltaLink']), opts);
    expect(r.items).toHaveLength(1);
    expect(r.items[0]).toMatchObject({
      providerMessageId: 'm1',
      internalDate: null,
      threadId: null,
      rfcMessageId: null,
    });
    expect(r.nextCursor).toMatchObject({ link: ok['@odata.deltaLink'] });
  });
});
