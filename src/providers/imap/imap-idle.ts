// IMAP push: hold a connection in IDLE on the ingest folder and call onChange when new mail shows up.
// An ImapFlow instance cannot reconnect, so every (re)connection builds a new one. onChange also
// fires right after each successful connect, because EXISTS notifications sent while we were
// disconnected are lost and the caller must catch up from its cursor. With a session key, the held
// connection is lent to this mailbox's jobs in this process between IDLEs (imap-sessions.ts).
import type { ImapFlow } from 'imapflow';

import type { ProviderLogger } from '../mail-provider.js';
import { ProviderError } from '../provider-errors.js';
import { closeQuietly, newImapClient } from './imap-client.js';
import { type OfferedSession, offerSession } from './imap-sessions.js';
import type { ResolvedImapSettings } from './imap-settings.js';

export interface WatchOptions {
  /** First reconnect delay; doubles per failed attempt up to maxDelayMs, with +-50% jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** IDLE is broken and re-issued this often; servers drop IDLE sessions after ~30 min. */
  maxIdleTimeMs?: number;
  random?: () => number;
}

export function backoffDelay(
  attempt: number,
  base: number,
  max: number,
  random: () => number,
): number {
  const exp = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(exp * (0.5 + random()));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function holdIdle(
  client: ImapFlow,
  folder: string,
  signal: AbortSignal,
  offered: OfferedSession | null,
): Promise<void> {
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  while (client.usable && !signal.aborted) {
    if (offered?.lent) {
      // A job of this mailbox is using the session (its commands ended the IDLE): wait for it.
      await Promise.race([offered.free(), closed, aborted]);
      if (!client.usable || signal.aborted) break;
      // The borrower may have selected another folder (Sent) or this one read-write.
      if (client.mailbox === false || client.mailbox.path !== folder)
        await client.mailboxOpen(folder, { readOnly: true });
      continue;
    }
    // idle() returns when IDLE ends (connection closed, or broken for a command); re-enter it.
    await Promise.race([client.idle().catch(() => undefined), closed, aborted]);
  }
}

export async function watchImap(
  s: ResolvedImapSettings,
  onChange: () => void,
  signal: AbortSignal,
  opts: WatchOptions & { logger?: ProviderLogger; sessionKey?: string } = {},
): Promise<void> {
  const base = opts.baseDelayMs ?? 1_000;
  const max = opts.maxDelayMs ?? 300_000;
  const random = opts.random ?? Math.random;
  const notify = () => {
    try {
      onChange();
    } catch (err) {
      opts.logger?.error({ err: (err as Error)?.name }, 'watch onChange threw');
    }
  };
  let attempt = 0;
  while (!signal.aborted) {
    let client: ImapFlow | null = null;
    let offered: OfferedSession | null = null;
    // A lent session is closed by its borrower on release (withdraw below), not under its feet.
    const stop = () => {
      if (!offered?.lent) client?.close();
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      // Resolved and checked again on every reconnect (net/egress-guard.ts).
      client = await newImapClient(s, opts.logger, {
        maxIdleTime: opts.maxIdleTimeMs ?? 10 * 60_000,
      });
      if (signal.aborted) break;
      await client.connect();
      await client.mailboxOpen(s.folder, { readOnly: true });
      attempt = 0;
      client.on('exists', (ev: { count: number; prevCount: number }) => {
        if (ev.count > ev.prevCount) notify();
      });
      if (opts.sessionKey) offered = offerSession(opts.sessionKey, client);
      notify();
      await holdIdle(client, s.folder, signal, offered);
    } catch (err) {
      // Wrong credentials do not heal by retrying; the caller marks the mailbox for reconnection.
      if (
        (err as { authenticationFailed?: unknown })?.authenticationFailed === true &&
        !signal.aborted
      ) {
        throw new ProviderError(
          'auth_revoked',
          'IMAP login rejected while (re)connecting for IDLE',
          { cause: err },
        );
      }
      if (!signal.aborted) {
        opts.logger?.warn(
          {
            errCode: (err as { code?: unknown })?.code ?? null,
            authFailed: (err as { authenticationFailed?: unknown })?.authenticationFailed === true,
          },
          'imap watch connection failed',
        );
      }
    } finally {
      signal.removeEventListener('abort', stop);
      const lent = offered?.withdraw() ?? false;
      offered = null;
      if (!lent) await closeQuietly(client);
    }
    if (signal.aborted) break;
    const delay = backoffDelay(attempt++, base, max, random);
    opts.logger?.info({ delayMs: delay, attempt }, 'imap watch reconnecting');
    await sleep(delay, signal);
  }
}
