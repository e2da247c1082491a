import type { ImapFlow } from 'imapflow';
import { describe, expect, test } from 'vitest';

import { borrowSession, offerSession, sessionKey } from './imap-sessions.js';
import { resolveImapSettings } from './imap-settings.js';

const fakeClient = () => {
  const c = { usable: true, closed: 0, close: () => void (c.closed++, (c.usable = false)) };
  return c;
};
const settings = (password: string) =>
  resolveImapSettings({
    imap: { host: 'imap.example', port: 993, secure: true, auth: { user: 'u', password } },
    smtp: { host: 'smtp.example', port: 465, secure: true, auth: { user: 'u', password } },
  });

describe('IMAP session lending', () => {
  test('a session is keyed by mailbox and settings: new credentials never get the old login', () => {
    expect(sessionKey('m1', settings('a'))).toBe(sessionKey('m1', settings('a')));
    expect(sessionKey('m1', settings('a'))).not.toBe(sessionKey('m1', settings('b')));
    expect(sessionKey('m1', settings('a'))).not.toBe(sessionKey('m2', settings('a')));
  });

  test('lent to one borrower at a time, only while usable; the watch waits for its return', async () => {
    const key = sessionKey('lend', settings('a'));
    expect(await borrowSession(key)).toBeNull();
    const client = fakeClient();
    const offered = offerSession(key, client as unknown as ImapFlow);
    const first = (await borrowSession(key))!;
    expect(first.client).toBe(client);
    expect(offered.lent).toBe(true);
    expect(await borrowSession(key)).toBeNull(); // a second job logs in for itself
    let freed = false;
    const waiting = offered.free().then(() => (freed = true));
    await Promise.resolve();
    expect(freed).toBe(false);
    first.release();
    await waiting;
    expect(client.closed).toBe(0); // back to IDLE, still logged in
    client.usable = false;
    expect(await borrowSession(key)).toBeNull();
    expect(offered.withdraw()).toBe(false); // not lent: the watch closes it itself
  });

  test('a session that broke under its borrower is closed and no longer lent', async () => {
    const key = sessionKey('broken', settings('a'));
    const client = fakeClient();
    offerSession(key, client as unknown as ImapFlow);
    (await borrowSession(key))!.release({ broken: true });
    expect(client.closed).toBe(1);
    expect(await borrowSession(key)).toBeNull();
  });

  test('a watch that ends while its session is lent leaves the close to the borrower', async () => {
    const key = sessionKey('orphan', settings('a'));
    const client = fakeClient();
    const offered = offerSession(key, client as unknown as ImapFlow);
    const b = (await borrowSession(key))!;
    expect(offered.withdraw()).toBe(true);
    expect(client.closed).toBe(0);
    expect(await borrowSession(key)).toBeNull();
    b.release();
    expect(client.closed).toBe(1);
  });

  test('a second job waits for the lent session and gets it straight from the first; the watch stays put', async () => {
    const key = sessionKey('handoff', settings('a'));
    const client = fakeClient();
    const offered = offerSession(key, client as unknown as ImapFlow);
    const first = (await borrowSession(key))!;
    let watchWoken = false;
    void offered.free().then(() => (watchWoken = true));
    const second = borrowSession(key, 60_000);
    await Promise.resolve();
    first.release();
    const got = (await second)!;
    expect(got.client).toBe(client);
    expect(offered.lent).toBe(true);
    await Promise.resolve();
    expect(watchWoken).toBe(false); // no IDLE in between
    got.release();
    await Promise.resolve();
    expect(watchWoken).toBe(true);
    expect(client.closed).toBe(0);
  });

  test('a waiting job connects for itself when the wait runs out or the session breaks', async () => {
    const key = sessionKey('wait-out', settings('a'));
    const client = fakeClient();
    offerSession(key, client as unknown as ImapFlow);
    const first = (await borrowSession(key))!;
    expect(await borrowSession(key, 5)).toBeNull();
    const waiting = borrowSession(key, 60_000);
    first.release({ broken: true });
    expect(await waiting).toBeNull();
    expect(client.closed).toBe(1);
  });
});
