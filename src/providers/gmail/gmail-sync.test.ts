// security.md "provider faults": history.list pages Google should never send (wrong types, missing
// fields, a historyId going backwards). Inlet must neither crash with a TypeError nor store a cursor
// it cannot use or that re-lists the mailbox; a malformed page is a transient ProviderError.
import { describe, expect, it } from 'vitest';

import { isProviderError } from '../provider-errors.js';
import type { GmailSession } from './gmail-client.js';
import { fetchGmailRaw, type GmailCursor, historyPage, listGmailChanges } from './gmail-sync.js';

function sessionAnswering(data: unknown): GmailSession {
  const list = async () => ({ data });
  return {
    gmail: { users: { history: { list }, messages: { list, get: list } } },
    call: (_what: string, fn: () => Promise<unknown>) => fn(),
  } as unknown as GmailSession;
}

const at = (historyId: string): GmailCursor => ({
  provider: 'gmail',
  v: 1,
  historyId,
  backfill: null,
});
const added = (id: unknown) => ({ messagesAdded: [{ message: { id, labelIds: ['INBOX'] } }] });

describe('gmail history.list with hostile pages', () => {
  it.each([
    ['history is an object', { history: { id: '5' } }],
    ['history is a string', { history: 'oops' }],
    ['a record is null', { history: [null] }],
    ['messagesAdded is a number', { history: [{ id: '101', messagesAdded: 7 }] }],
  ])('%s → transient provider error, not a TypeError', async (_name, data) => {
    const err = await historyPage(sessionAnswering(data), at('100'), 50).catch((e: unknown) => e);
    expect(isProviderError(err) && err.kind).toBe('transient');
  });

  it('never moves the cursor backwards or onto a non-numeric id', async () => {
    for (const historyId of ['7', 'abc', '1e9', '-5', '']) {
      const r = await historyPage(sessionAnswering({ historyId }), at('100'), 50);
      expect(r.nextCursor).toMatchObject({ historyId: '100' });
    }
    const ahead = await historyPage(sessionAnswering({ historyId: '250' }), at('100'), 50);
    expect(ahead.nextCursor).toMatchObject({ historyId: '250' });
  });

  it('lists the messages of a record whose id is not a history id under the cursor before it', async () => {
    const r = await historyPage(
      sessionAnswering({
        history: [
          { id: 101, ...added('m1') },
          { id: '102', ...added('m2') },
        ],
      }),
      at('100'),
      50,
    );
    expect(r.items.map((i) => i.providerMessageId)).toEqual(['m1', 'm2']);
    expect(r.items[0]!.cursorAfter).toMatchObject({ historyId: '100' });
    for (const i of r.items) expect(typeof (i.cursorAfter as GmailCursor).historyId).toBe('string');
    expect(r.nextCursor).toMatchObject({ historyId: '102' });
  });

  it('ignores message ids of the wrong type', async () => {
    const r = await historyPage(
      sessionAnswering({ history: [{ id: '101', messagesAdded: [{ message: { id: 5 } }, {}] }] }),
      at('100'),
      50,
    );
    expect(r.items).toEqual([]);
  });
});

describe('gmail backfill and fetch with hostile answers', () => {
  const backfilling: GmailCursor = { ...at('100'), backfill: { pageToken: null, done: 0 } };
  const opts = { backfill: {}, pageSize: 50 };

  it.each([
    ['messages is an object', { messages: { id: 'm1' } }],
    ['messages is a string', { messages: 'm1' }],
  ])('%s → transient provider error', async (_name, data) => {
    const err = await listGmailChanges(sessionAnswering(data), backfilling, opts).catch(
      (e: unknown) => e,
    );
    expect(isProviderError(err) && err.kind).toBe('transient');
  });

  it('ends the backfill on a page token of the wrong type, keeping the listed ids', async () => {
    const r = await listGmailChanges(
      sessionAnswering({ messages: [{ id: 'm1' }, null, { id: 3 }], nextPageToken: 5 }),
      backfilling,
      opts,
    );
    expect(r.items.map((i) => i.providerMessageId)).toEqual(['m1']);
    expect(r.nextCursor).toMatchObject({ historyId: '100', backfill: null });
  });

  it('a raw of the wrong type is a transient error, not a TypeError', async () => {
    const err = await fetchGmailRaw(sessionAnswering({ raw: 12 }), 'm1').catch((e: unknown) => e);
    expect(isProviderError(err) && err.kind).toBe('transient');
  });
});
