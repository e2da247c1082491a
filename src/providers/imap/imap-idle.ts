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
import { uidValidityMoved } from './imap-uidvalidity.js';

export interface WatchOptions {
  /** First reconnect delay; doubles per failed attempt up to maxDelayMs, with +-50% jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** IDLE is broken and re-issued this often; servers drop IDLE sessions after ~30 min. */
  maxIdleTimeMs?: number;
  /** A connection that lasted this long resets the backoff; one dropped sooner (a server that
   *  accepts the login and hangs up during IDLE every few seconds) keeps doubling the delay, so
   *  such a server sees a login every maxDelayMs at most, not one a second. */
  stableAfterMs?: number;
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
      if (client.mailbox === false || client.mailbox.path !== folder || uidValidityMoved(client))
        await client.mailboxOpen(folder, { readOnly: true });
      continue;
    }
    // IDLE on a folder renumbered under the session would watch UIDs that are gone.
    if (uidValidityMoved(client)) await client.mailboxOpen(folder, { readOnly: true });
    // idle() returns when IDLE ends (connection closed, or broken for a command); re-enter it.
    await Promise.race([client.idle().catch(() => undefined), closed, aborted]);
  }
}

/**
 * A folder renumbered under the held session (RFC 3501 2.3.1.1: a new UIDVALIDITY) gets no EXISTS
 * when it holds as many messages as before, so an announced UIDVALIDITY other than the selected one
 * starts the sync that resyncs (its own EXAMINE reads the new value; Message-IDs keep held mail from
 * doubling). A rebuild shown as an EXPUNGE storm followed by EXISTS is an EXISTS increase already.
 */
function watchRenumbering(
  client: ImapFlow,
  notify: () => void,
  offered: OfferedSession | null,
): void {
  client.on('uidvalidity', () => {
    if (!uidValidityMoved(client)) return;
    notify();
    // Any command ends the IDLE; holdIdle then selects the folder again before the next one. A
    // borrower's own commands end it when the session is lent.
    if (!offered?.lent) client.noop().catch(() => undefined);
  });
}

export async function watchImap(
  s: ResolvedImapSettings,
  onChange: () => void,
  signal: AbortSignal,
  opts: WatchOptions & {
    logger?: ProviderLogger;
    sessionKey?: string;
    /** The session is lent to fetches: the same literal cap as theirs. */
    maxMessageBytes?: number;
  } = {},
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
  const stableAfter = opts.stableAfterMs ?? 60_000;
  let attempt = 0;
  while (!signal.aborted) {
    let connectedAt: number | null = null;
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
        ...(opts.maxMessageBytes ? { maxMessageBytes: opts.maxMessageBytes } : {}),
      });
      if (signal.aborted) break;
      await client.connect();
      await client.mailboxOpen(s.folder, { readOnly: true });
      connectedAt = Date.now();
      client.on('exists', (ev: { count: number; prevCount: number }) => {
        if (ev.count > ev.prevCount) notify();
      });
      if (opts.sessionKey) offered = offerSession(opts.sessionKey, client);
      watchRenumbering(client, notify, offered);
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
    if (connectedAt !== null && Date.now() - connectedAt >= stableAfter) attempt = 0;
    const delay = backoffDelay(attempt++, base, max, random);
    opts.logger?.info({ delayMs: delay, attempt }, 'imap watch reconnecting');
    await sleep(delay, signal);
  }
}
