// Sessions that change under the provider (test/helpers/hostile-imap.ts): a mailbox renumbered
// while a session has it selected, a server that hangs up between or inside commands, one that
// refuses UID ranges in SEARCH. Whatever the server does, no byte is kept under a UID it no longer
// means, and a failure never reads as "no mail" (which would move a cursor past mail not stored).
import { describe, expect, it } from 'vitest';

import type { Config } from '../../src/config.js';
import { imapModule } from '../../src/providers/imap/imap-module.js';
import { isProviderError } from '../../src/providers/provider-errors.js';
import { failure, type Script, testMail, useHostileImap } from '../helpers/hostile-imap.js';

const { against, server } = useHostileImap();
const opts = { backfill: {}, pageSize: 50 };
const kind = (err: unknown) => (isProviderError(err) ? err.kind : err);
const bodyFetch = (args: string) => /BODY/i.test(args);
const literal = (seq: number, uid: number) =>
  `* ${seq} FETCH (UID ${uid} BODY[] {${Buffer.byteLength(testMail(uid))}}\r\n${testMail(uid)})\r\n`;

/** A script whose EXAMINE/SELECT reports `validity.now` from the command on. */
function renumbering(validity: { now: number }, then?: Script): Script {
  return (cmd, s, state) => {
    state.uidValidity = validity.now;
    return then?.(cmd, s, state) ?? false;
  };
}

async function until(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('UIDVALIDITY changing inside a session', () => {
  it('keeps no bytes of a FETCH during which the server announces a new UIDVALIDITY', async () => {
    const validity = { now: 7 };
    const p = await against({
      script: renumbering(validity, (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !bodyFetch(cmd.args)) return false;
        validity.now = 8;
        s.write(`* OK [UIDVALIDITY 8] mailbox rebuilt\r\n${literal(1, 1)}${cmd.tag} OK done\r\n`);
        return true;
      }),
    });
    const page = await p.listChanges(null, opts);
    expect(kind(await failure(p.fetchRawMany!(page.items.slice(0, 1))))).toBe('cursor_expired');
    // The sync then lists again from its stored cursor: a resync under the new value.
    const again = await p.listChanges(page.nextCursor, opts);
    expect(again.resync).toBe('uidvalidity_changed');
    expect(again.items.map((i) => i.providerMessageId)).toEqual(['8:1', '8:2', '8:3']);
  });

  it('lists no UID of the old numbering when the announcement comes during the listing', async () => {
    const validity = { now: 7 };
    const p = await against({
      script: renumbering(validity, (cmd, s) => {
        if (cmd.name !== 'UID SEARCH' || validity.now !== 7) return false;
        validity.now = 8;
        s.write(`* OK [UIDVALIDITY 8] renumbered\r\n* SEARCH 1 2 3\r\n${cmd.tag} OK done\r\n`);
        return true;
      }),
    });
    expect(kind(await failure(p.listChanges(null, opts)))).toBe('cursor_expired');
    const again = await p.listChanges(null, opts);
    expect(again.items.map((i) => i.providerMessageId)).toEqual(['8:1', '8:2', '8:3']);
  });

  it('selects the folder again after an EXPUNGE storm in a FETCH and refuses ids of the old numbering', async () => {
    const validity = { now: 7 };
    const p = await against({
      script: renumbering(validity, (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !bodyFetch(cmd.args)) return false;
        validity.now = 8; // not announced: only the storm and a new SELECT show it
        s.write(`* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n* 1 EXPUNGE\r\n* 3 EXISTS\r\n`);
        s.write(`${literal(1, 1)}${literal(2, 2)}${cmd.tag} OK done\r\n`);
        return true;
      }),
    });
    const page = await p.listChanges(null, opts);
    expect(kind(await failure(p.fetchRawMany!(page.items.slice(0, 2))))).toBe('cursor_expired');
  });

  it('starts a sync when UIDVALIDITY is announced during IDLE, and the sync resyncs', async () => {
    const validity = { now: 7 };
    const p = await against(
      { script: renumbering(validity) },
      { watch: { baseDelayMs: 50, maxDelayMs: 200 } },
    );
    const first = await p.listChanges(null, opts);
    let changes = 0;
    const stop = new AbortController();
    const watching = p.watch!(() => void changes++, stop.signal);
    await until('IDLE', () => server().commands.some((c) => c.name === 'IDLE'));
    expect(changes).toBe(1); // the catch-up call after connecting
    validity.now = 8;
    server().broadcast('* OK [UIDVALIDITY 8] UIDs renumbered\r\n');
    await until('a sync for the new UIDVALIDITY', () => changes === 2);
    const next = await p.listChanges(first.nextCursor, opts);
    expect(next.resync).toBe('uidvalidity_changed');
    // The watch selected the folder again and went back to IDLE on it.
    await until('IDLE again', () => server().commands.filter((c) => c.name === 'IDLE').length >= 2);
    stop.abort();
    await watching;
  });
});

describe('servers that hang up', () => {
  it('loses no backlog when the server says BYE between EXAMINE and SEARCH', async () => {
    let byes = 0;
    const p = await against({
      script: (cmd, s, state) => {
        if (cmd.name !== 'EXAMINE' || byes++ > 0) return false;
        s.write(
          `* 3 EXISTS\r\n* OK [UIDVALIDITY ${state.uidValidity}] ok\r\n* OK [UIDNEXT 100] ok\r\n`,
        );
        s.write(`${cmd.tag} OK [READ-ONLY] done\r\n* BYE shutting down\r\n`);
        s.end();
        return true;
      },
    });
    const lost = await p.listChanges(null, opts).catch((err: unknown) => err);
    // Never an empty, finished listing: that cursor would say the backlog is done.
    expect(kind(lost)).toBe('transient');
    const again = await p.listChanges(null, opts);
    expect(again.items.map((i) => i.providerMessageId)).toEqual(['7:1', '7:2', '7:3']);
  });

  it('does not call a message expunged when the server says BYE after a FETCH that left it out', async () => {
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !bodyFetch(cmd.args)) return false;
        s.write(`${literal(1, 1)}${cmd.tag} OK done\r\n* BYE going away\r\n`);
        s.end();
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    expect(kind(await failure(p.fetchRawMany!(page.items.slice(0, 2))))).toBe('transient');
  });

  it('fails a FETCH cut by BYE as transient, and the next call logs in again and gets every message', async () => {
    let cut = false;
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !bodyFetch(cmd.args) || cut) return false;
        cut = true;
        s.write(`${literal(1, 1)}* BYE server restarting\r\n`);
        s.end();
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    expect(kind(await failure(p.fetchRawMany!(page.items)))).toBe('transient');
    const raws = await p.fetchRawMany!(page.items);
    expect([...raws.values()].map((r) => r?.toString().includes('Subject: Hostile'))).toEqual([
      true,
      true,
      true,
    ]);
    expect(server().commands.filter((c) => c.name === 'LOGIN')).toHaveLength(2);
  });

  it('backs off from a server that drops IDLE every 100 ms instead of logging in again at once', async () => {
    const p = await against(
      {
        script: (cmd, s) => {
          if (cmd.name !== 'IDLE') return false;
          s.write('+ idling\r\n');
          setTimeout(() => s.destroy(), 100);
          return true;
        },
      },
      { watch: { baseDelayMs: 50, maxDelayMs: 2_000, random: () => 0.5 } },
    );
    const stop = new AbortController();
    const watching = p.watch!(() => undefined, stop.signal);
    await new Promise((r) => setTimeout(r, 3_000));
    stop.abort();
    await watching;
    // 50, 100, 200, 400, 800, 1600 ms apart: about six logins in three seconds (a reset backoff
    // logged in every 150 ms, twenty times).
    const logins = server().commands.filter((c) => c.name === 'LOGIN').length;
    expect(logins).toBeGreaterThanOrEqual(3);
    expect(logins).toBeLessThanOrEqual(8);
  });
});

describe('literal cap', () => {
  it('follows INGEST_MAX_MESSAGE_BYTES: a literal past its margin (an eighth, at least 1 MiB) ends the FETCH at once, as too large', async () => {
    const runtime = imapModule.start({
      config: { ingest: { maxMessageBytes: 1024 * 1024 } } as Config,
    } as Parameters<typeof imapModule.start>[0]);
    const base = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !bodyFetch(cmd.args)) return false;
        s.write('* 1 FETCH (UID 1 BODY[] {3000000}\r\nFrom: a');
        return true; // and nothing more: only the cap ends this before the socket timeout
      },
    });
    await base.close();
    const { host, port } = server();
    const endpoint = {
      host,
      port,
      secure: false,
      plaintext: true,
      auth: { user: 'u@example.test', password: 'pw' },
    };
    const p = imapModule.open({ imap: endpoint, smtp: endpoint }, runtime, {
      tenantId: 't',
      mailboxId: 'm',
    });
    try {
      const page = await p.listChanges(null, opts);
      const started = Date.now();
      const raws = await p.fetchRawMany!(page.items.slice(0, 1));
      expect(raws.get('7:1')).toBe('too_large');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await p.close();
    }
  });
});
