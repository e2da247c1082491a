// SEARCH answers that are no answer (test/helpers/hostile-imap.ts). imapflow resolves search() to
// false on NO or BAD and to undefined once the session is gone; neither may read as "no mail",
// which would end a backfill window or call present mail expunged.
import { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';

import { searchUids } from '../../src/providers/imap/imap-search.js';
import type { ImapCursor } from '../../src/providers/imap/imap-sync.js';
import { isProviderError } from '../../src/providers/provider-errors.js';
import { failure, useHostileImap } from '../helpers/hostile-imap.js';

const { against, server } = useHostileImap();
const opts = { backfill: {}, pageSize: 50 };
const kind = (err: unknown) => (isProviderError(err) ? err.kind : err);
const bodyFetch = (args: string) => /BODY/i.test(args);

describe('servers that refuse SEARCH', () => {
  it('lists every message from a server that answers BAD to UID ranges in SEARCH, asking once per session', async () => {
    const p = await against({
      uids: [2, 5, 9],
      script: (cmd, s) => {
        if (cmd.name !== 'UID SEARCH' || !/UID \d/i.test(cmd.args)) return false;
        s.write(`${cmd.tag} BAD Command Argument Error. 11\r\n`);
        return true;
      },
    });
    const first = await p.listChanges(null, opts);
    expect(first.items.map((i) => i.providerMessageId)).toEqual(['7:2', '7:5', '7:9']);
    const cursor: ImapCursor = {
      provider: 'imap',
      v: 1,
      uidValidity: '7',
      lastUid: 2,
      backfill: null,
    };
    const next = await p.listChanges(cursor, opts);
    expect(next.items.map((i) => i.providerMessageId)).toEqual(['7:5', '7:9']);
    const ranges = server().commands.filter(
      (c) => c.name === 'UID SEARCH' && /UID \d/i.test(c.args),
    );
    expect(ranges).toHaveLength(1);
  });

  it('fails a listing and a fetch as transient when every SEARCH is refused, never as "no mail"', async () => {
    let refuse = false;
    const p = await against({
      script: (cmd, s) => {
        if (!refuse) return false;
        if (cmd.name === 'UID SEARCH') s.write(`${cmd.tag} NO [SERVERBUG] search failed\r\n`);
        else if (cmd.name === 'UID FETCH' && bodyFetch(cmd.args)) s.write(`${cmd.tag} OK done\r\n`);
        else return false;
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    refuse = true;
    expect(kind(await failure(p.listChanges(null, opts)))).toBe('transient');
    // A FETCH that leaves a UID out asks SEARCH whether it is gone; a refusal is no answer.
    expect(kind(await failure(p.fetchRawMany!(page.items.slice(0, 1))))).toBe('transient');
  });
});

describe('a listing FETCH that leaves rows out', () => {
  it('lists a UID whose metadata row is missing while SEARCH still finds it (the cursor never passes it)', async () => {
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || bodyFetch(cmd.args)) return false;
        // Only UID 1 comes back, as from a server that drops rows it cannot build an ENVELOPE for.
        s.write(
          `* 1 FETCH (UID 1 RFC822.SIZE 10 ENVELOPE (NIL "x" NIL NIL NIL NIL NIL NIL NIL "<h1@customer.test>"))\r\n${cmd.tag} OK done\r\n`,
        );
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    expect(page.items.map((i) => i.providerMessageId)).toEqual(['7:1', '7:2', '7:3']);
    const raws = await p.fetchRawMany!(page.items);
    expect(raws.get('7:3')?.toString()).toContain('Subject: Hostile 3');
  });
});

describe('a session the server closed', () => {
  it('throws from a SEARCH after the server hung up between commands (Dovecot: BYE "session state is inconsistent")', async () => {
    await against({});
    const { host, port } = server();
    const client = new ImapFlow({
      host,
      port,
      secure: false,
      auth: { user: 'u@example.test', pass: 'pw' },
      logger: false,
    });
    client.on('error', () => undefined);
    await client.connect();
    await client.mailboxOpen('INBOX', { readOnly: true });
    const closed = new Promise((r) => client.once('close', r));
    server().broadcast('* BYE IMAP session state is inconsistent, please relogin.\r\n');
    await closed;
    expect(await client.search({ all: true }, { uid: true })).toBeUndefined(); // imapflow's answer
    expect(kind(await failure(searchUids(client, '1:*', () => true)))).toBe('transient');
  });
});
