// One IMAP session per mailbox in this process: the connection a mailbox's IDLE watch holds is lent
// to the jobs (sync, send) that run for that mailbox here, instead of each job logging in again
// (a login costs Dovecot ~37 ms and this process ~25 ms of CPU; at a sync per new mail that bounded
// two cores to ~30 mails/s). While lent, the watch does not re-enter IDLE; any command the borrower
// sends ends the IDLE in progress. On release the watch re-selects its folder and idles again.
//
// A session is keyed by mailbox AND by a digest of its server settings, so new credentials (a
// reauthorisation) never reuse a session logged in with the old ones. The session was connected by
// the watch through the egress guard (pinned address, STARTTLS required), so a borrower inherits
// exactly those checks. A session lent to another job of the mailbox (a reply's Sent copy while a sync
// runs) is waited for, briefly, and handed straight from one borrower to the next; a borrower that
// waited too long, or whose session broke, connects as before.
import { createHash } from 'node:crypto';

import type { ImapFlow } from 'imapflow';

import type { ResolvedImapSettings } from './imap-settings.js';

interface Session {
  client: ImapFlow;
  lent: boolean;
  /** The watch has ended while the session was lent: the borrower closes it on release. */
  orphaned: boolean;
  released: (() => void) | null;
  /** Borrowers waiting for it, first come first served; called with null when it is gone. */
  waiting: ((s: Session | null) => void)[];
}

const sessions = new Map<string, Session>();

/** mailbox id + digest of the IMAP endpoint (host, port, TLS, user, secret) and folder. */
export function sessionKey(mailboxId: string, s: ResolvedImapSettings): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([s.imap.host, s.imap.port, s.imap.secure, s.imap.auth, s.folder]))
    .digest('base64url');
  return `${mailboxId}:${digest}`;
}

export interface OfferedSession {
  /** Resolves once the session is not lent (at once when it is free). */
  free(): Promise<void>;
  readonly lent: boolean;
  /**
   * The watch is done with the session. Returns true when a borrower has it now and will close it
   * on release; false when the caller must close it.
   */
  withdraw(): boolean;
}

/** The watch offers its connected, folder-selected client for lending. */
export function offerSession(key: string, client: ImapFlow): OfferedSession {
  const session: Session = { client, lent: false, orphaned: false, released: null, waiting: [] };
  sessions.set(key, session);
  return {
    get lent() {
      return session.lent;
    },
    free: () =>
      session.lent
        ? new Promise<void>((resolve) => {
            session.released = resolve;
          })
        : Promise.resolve(),
    withdraw() {
      if (sessions.get(key) === session) sessions.delete(key);
      if (session.lent) session.orphaned = true;
      return session.lent;
    },
  };
}

export interface BorrowedSession {
  client: ImapFlow;
  /** Gives it back; broken = it failed under the borrower (the watch then reconnects). */
  release(opts?: { broken?: boolean }): void;
}

/**
 * The mailbox's IDLE session when this process holds it and it is usable. While another borrower has
 * it, waits up to `waitMs` for its return (0: do not wait); null means connect for yourself.
 */
export async function borrowSession(key: string, waitMs = 0): Promise<BorrowedSession | null> {
  const session = sessions.get(key);
  if (!session || !session.client.usable) return null;
  if (!session.lent) return lend(key, session);
  if (waitMs <= 0) return null;
  const handed = await new Promise<Session | null>((resolve) => {
    const take = (s: Session | null) => {
      clearTimeout(timer);
      resolve(s);
    };
    const timer = setTimeout(() => {
      session.waiting = session.waiting.filter((w) => w !== take);
      resolve(null);
    }, waitMs);
    session.waiting.push(take);
  });
  return handed ? lend(key, handed) : null;
}

function lend(key: string, session: Session): BorrowedSession {
  session.lent = true;
  let done = false;
  return {
    client: session.client,
    release({ broken = false } = {}) {
      if (done) return;
      done = true;
      if (broken || session.orphaned || !session.client.usable) {
        session.lent = false;
        if (sessions.get(key) === session) sessions.delete(key);
        session.client.close();
        for (const w of session.waiting.splice(0)) w(null);
      } else {
        // The next waiting borrower gets it as it is; the watch resumes IDLE only when none waits.
        const next = session.waiting.shift();
        if (next) return next(session);
        session.lent = false;
      }
      const wake = session.released;
      session.released = null;
      wake?.();
    },
  };
}

/** Sessions on offer in this process (for tests and metrics). */
export function offeredSessions(): number {
  return sessions.size;
}
