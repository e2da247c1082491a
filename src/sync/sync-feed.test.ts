// What the sync reads for a message listed over the size limit: its header block only, never its
// bytes. A message deleted before that read is gone (the cursor moves past it); a provider that
// refuses the header for good leaves the stub to the listing; any other failure fails the sync, to
// be retried, rather than park the message with less than the provider can give.
import { describe, expect, it } from 'vitest';

import type { FetchedHeaders, MailProvider, RemoteMessageRef } from '../providers/mail-provider.js';
import { ProviderError } from '../providers/provider-errors.js';
import type { Db } from '../store/db.js';
import type { KeyService } from '../tenancy/key-service.js';
import { type FeedEntry, syncFeed } from './sync-feed.js';

const cursor = { provider: 'gmail' as const, v: 1 };
const item = (id: string, size: number): RemoteMessageRef => ({
  providerMessageId: id,
  threadId: null,
  rfcMessageId: null,
  internalDate: null,
  size,
  cursorAfter: cursor,
});

function provider(headers: () => Promise<FetchedHeaders | null>) {
  const fetched: string[] = [];
  const p = {
    listChanges: async () => ({
      items: [item('big', 5000), item('small', 10)],
      nextCursor: cursor,
      done: true,
      newOnly: true,
    }),
    fetchRaw: async (ref: { providerMessageId: string }) => {
      fetched.push(ref.providerMessageId);
      return Buffer.from('Subject: hi\r\n\r\n');
    },
    fetchHeaders: headers,
  } as unknown as MailProvider;
  return { p, fetched };
}

async function feed(p: MailProvider): Promise<FeedEntry[]> {
  const out: FeedEntry[] = [];
  const deps = { db: {} as Db, keys: {} as KeyService };
  for await (const e of syncFeed(deps, p, 't', 'm', null, {
    backfill: {},
    pageSize: 10,
    batch: { maxMessages: 10, maxBytes: 1 << 20 },
    refusesSize: (bytes) => bytes > 100,
  }))
    out.push(e);
  return out;
}

const kinds = (entries: FeedEntry[]) =>
  entries.map((e) =>
    e.kind === 'page-end'
      ? 'page-end'
      : `${e.kind}:${e.item.providerMessageId}${e.kind === 'message' && e.raw === null ? ':gone' : ''}`,
  );

describe('syncFeed and a message over the size limit', () => {
  it('reads its header block, never its bytes', async () => {
    const header = { header: Buffer.from('From: a@b.example\r\n'), size: 5000 };
    const { p, fetched } = provider(async () => header);
    const entries = await feed(p);
    expect(kinds(entries)).toEqual(['oversized:big', 'message:small', 'page-end']);
    expect(entries[0]).toMatchObject({ header });
    expect(fetched).toEqual(['small']);
  });

  it('takes a message deleted before the header read as gone', async () => {
    expect(kinds(await feed(provider(async () => null).p))).toEqual([
      'message:big:gone',
      'message:small',
      'page-end',
    ]);
  });

  it('leaves the stub to the listing when the header is refused for good, and retries on anything else', async () => {
    const refused = provider(() => Promise.reject(new ProviderError('permanent', 'no')));
    const entries = await feed(refused.p);
    expect(entries[0]).toMatchObject({ kind: 'oversized', header: null });
    const limited = provider(() => Promise.reject(new ProviderError('rate_limited', 'slow')));
    await expect(feed(limited.p)).rejects.toMatchObject({ kind: 'rate_limited' });
  });
});
