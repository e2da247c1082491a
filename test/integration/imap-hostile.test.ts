// A hostile or broken IMAP server (test/helpers/hostile-imap.ts) must end in a classified
// ProviderError or a skipped message: never an uncaught exception, never a hang past the
// configured timeouts, never unbounded memory, never a cursor past mail not stored.
import { describe, expect, it } from 'vitest';

import { isProviderError } from '../../src/providers/provider-errors.js';
import { failure, literalOverCapAt, testMail, useHostileImap } from '../helpers/hostile-imap.js';

const { against } = useHostileImap();
const opts = { backfill: {}, pageSize: 50 };

describe('hostile IMAP server', () => {
  it('serves the default script as ordinary mail (the bed itself works)', async () => {
    const p = await against({});
    const page = await p.listChanges(null, opts);
    expect(page.items.map((i) => i.providerMessageId)).toEqual(['7:1', '7:2', '7:3']);
    const raws = await p.fetchRawMany!(page.items);
    expect(raws.get('7:2')?.toString()).toContain('Subject: Hostile 2');
  });

  it('refuses a FETCH literal announced larger than any message Inlet keeps, without waiting for it', async () => {
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !/BODY/i.test(cmd.args)) return false;
        s.write('* 1 FETCH (UID 1 BODY[] {500000000}\r\nFrom: a');
        return true; // and then nothing: a server that would hold the client until the socket timeout
      },
    });
    const page = await p.listChanges(null, opts);
    // Reported as too large (the sync parks it), not as a failure every retry would repeat.
    const raws = await p.fetchRawMany!(page.items.slice(0, 1));
    expect(raws.get('7:1')).toBe('too_large');
  });

  it('finds which message of a batch came with a literal over the cap and fetches the others', async () => {
    const p = await against({
      uids: [1, 2, 3, 4, 5],
      script: literalOverCapAt(4, 500_000_000),
    });
    const page = await p.listChanges(null, opts);
    const raws = await p.fetchRawMany!(page.items);
    expect([...raws].map(([id, raw]) => [id, Buffer.isBuffer(raw) ? raw.toString() : raw])).toEqual(
      [
        ['7:1', testMail(1)],
        ['7:2', testMail(2)],
        ['7:3', testMail(3)],
        ['7:4', 'too_large'],
        ['7:5', testMail(5)],
      ],
    );
  });

  it('ends an endless greeting line at the line limit, not after buffering it until the timer', async () => {
    const chunk = Buffer.alloc(1 << 20, 'A');
    const p = await against({
      greeting: (s) => {
        s.write('* OK ');
        const more = () => {
          while (!s.destroyed && s.write(chunk));
          if (!s.destroyed) s.once('drain', more);
        };
        more();
      },
    });
    const err = await failure(p.listChanges(null, opts));
    expect(isProviderError(err) && err.kind).toBe('transient');
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('LineTooLarge');
  });

  it('does not treat a FETCH answer without BODY[] as an expunged message (its cursor would skip it)', async () => {
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !/BODY/i.test(cmd.args)) return false;
        s.write(`* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n${cmd.tag} OK done\r\n`);
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    const err = await failure(p.fetchRawMany!(page.items.slice(0, 1)));
    expect(isProviderError(err) && err.kind).toBe('transient');
  });

  it('still reports a UID the FETCH does not answer at all as gone (expunged since the listing)', async () => {
    let expunged = false;
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name === 'UID SEARCH' && expunged) {
          s.write(`* SEARCH\r\n${cmd.tag} OK done\r\n`);
          return true;
        }
        if (cmd.name !== 'UID FETCH' || !/BODY/i.test(cmd.args)) return false;
        expunged = true;
        s.write(`${cmd.tag} OK done\r\n`);
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    const raws = await p.fetchRawMany!(page.items.slice(0, 1));
    expect(raws.get('7:1')).toBeNull();
  });

  it('lists each UID once and never behind the cursor when SEARCH repeats UIDs or goes backwards', async () => {
    const p = await against({ uids: [5, 4, 5, 2, 4, 9, 9] });
    const first = await p.listChanges(null, opts);
    expect(first.items.map((i) => i.providerMessageId)).toEqual(['7:2', '7:4', '7:5', '7:9']);
    const again = await p.listChanges(first.nextCursor, opts);
    expect(again.items).toEqual([]);
    expect(again.nextCursor).toEqual(first.nextCursor);
  });

  it('restarts from a fresh listing when UIDVALIDITY changes between syncs, and refuses old ids', async () => {
    let validity = 7;
    const p = await against({
      script: (_cmd, _s, state) => {
        state.uidValidity = validity;
        return false;
      },
    });
    const first = await p.listChanges(null, opts);
    validity = 8;
    const next = await p.listChanges(first.nextCursor, opts);
    expect(next.resync).toBe('uidvalidity_changed');
    expect(next.items.every((i) => i.providerMessageId.startsWith('8:'))).toBe(true);
    const err = await failure(p.fetchRawMany!(first.items.slice(0, 1)));
    expect(isProviderError(err) && err.kind).toBe('cursor_expired');
  });

  it('turns garbage untagged lines and a broken FETCH into a classified error or plain data', async () => {
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !/BODY/i.test(cmd.args)) return false;
        s.write(
          '* FOO ((( "unterminated\r\n* 1 FETCH (UID 1 BODY[] {4}\r\nabcdefgh ((\r\n' +
            `* 2 FETCH UID\r\n${cmd.tag} OK done\r\n`,
        );
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    const out = await p.fetchRawMany!(page.items.slice(0, 2)).then(
      (m) => m,
      (err: unknown) => err,
    );
    if (out instanceof Map) expect(out.get('7:1')?.toString() ?? null).toBe('abcd');
    else expect(isProviderError(out)).toBe(true);
  });

  it('gives up on a server that stops in the middle of a literal once the socket timeout passes', async () => {
    const p = await against(
      {
        script: (cmd, s) => {
          if (cmd.name !== 'UID FETCH' || !/BODY/i.test(cmd.args)) return false;
          s.write('* 1 FETCH (UID 1 BODY[] {100}\r\nFrom: a@customer.test\r\n');
          return true; // the other 74 bytes never come, the socket stays open
        },
      },
      { socketTimeoutMs: 1_000 },
    );
    const page = await p.listChanges(null, opts);
    const err = await failure(p.fetchRawMany!(page.items.slice(0, 1)));
    expect(isProviderError(err) && err.kind).toBe('transient');
  });

  it('ignores bytes for a UID it did not ask for', async () => {
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID FETCH' || !/BODY/i.test(cmd.args)) return false;
        const body = 'Subject: not asked\r\n\r\nx\r\n';
        s.write(`* 1 FETCH (UID 99 BODY[] {${body.length}}\r\n${body})\r\n`);
        s.write(`* 2 FETCH (UID 1 BODY[] {${body.length}}\r\n${body})\r\n${cmd.tag} OK done\r\n`);
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    const raws = await p.fetchRawMany!(page.items.slice(0, 1));
    expect([...raws.keys()]).toEqual(['7:1']);
  });

  it('lists only real UIDs when a SEARCH answer carries garbage tokens', async () => {
    const p = await against({
      script: (cmd, s) => {
        if (cmd.name !== 'UID SEARCH') return false;
        s.write(`* SEARCH 2 abc -5 0 1.5 3 99999999999999999999\r\n${cmd.tag} OK done\r\n`);
        return true;
      },
    });
    const page = await p.listChanges(null, opts);
    expect(page.items.map((i) => i.providerMessageId)).toEqual(['7:2', '7:3']);
  });
});
