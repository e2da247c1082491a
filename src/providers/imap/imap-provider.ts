// IMAP/SMTP implementation of MailProvider. One instance serves one mailbox for the length of a job:
// it keeps one IMAP connection (made on first use, replaced by a new ImapFlow if it drops) and runs
// its operations one at a time, because an IMAP connection has a single selected folder. When this
// process holds the mailbox's IDLE connection, that logged-in session is borrowed instead of a new
// login (imap-sessions.ts) and handed back on close().
import type { ImapFlow } from 'imapflow';

import type {
  Cursor,
  ListChangesOptions,
  MailProvider,
  ProviderDeps,
  RemoteMessageRef,
  SendMeta,
} from '../mail-provider.js';
import { toProviderError } from '../provider-errors.js';
import { closeQuietly, connectImap } from './imap-client.js';
import { fetchImapHeader, fetchImapRawSplitting } from './imap-fetch.js';
import { watchImap, type WatchOptions } from './imap-idle.js';
import { type BorrowedSession, borrowSession, sessionKey } from './imap-sessions.js';
import { type ImapSettings, resolveImapSettings } from './imap-settings.js';
import { listImapChanges } from './imap-sync.js';
import { detectSentFolder, verifyImapAndSmtp } from './imap-verify.js';
import { appendSent, findInSent, sendViaSmtp } from './smtp-send.js';

/**
 * How long a job waits for the mailbox's IDLE session while another job of the mailbox has it (a
 * reply's Sent copy during a sync), instead of logging in: a sync of new mail holds it well under a
 * second; behind a long backfill the job logs in after this.
 */
const lentSessionWaitMs = 5_000;

export interface ImapProviderDeps extends ProviderDeps {
  /** Reconnect timing for watch(); tests shorten it. */
  watch?: WatchOptions;
  /** The mailbox this provider serves: its IDLE session in this process is shared (imap-sessions.ts). */
  mailboxId?: string;
  /** Silence on the socket (mid-literal included) after which a command fails; tests shorten the
   *  production SOCKET_TIMEOUT_MS rather than wait two minutes. */
  socketTimeoutMs?: number;
  /** INGEST_MAX_MESSAGE_BYTES: no FETCH literal above it is buffered (imap-settings.ts). */
  maxMessageBytes?: number;
}

export function makeImapProvider(
  settings: ImapSettings,
  deps: ImapProviderDeps = {},
): MailProvider {
  const s = resolveImapSettings(settings);
  const logger = deps.logger;
  const key = deps.mailboxId ? sessionKey(deps.mailboxId, s) : null;
  let client: ImapFlow | null = null;
  /** Set while `client` is the mailbox's IDLE session, lent by its watch. */
  let borrowed: BorrowedSession | null = null;
  let connecting: Promise<ImapFlow> | null = null;
  let sentFolder: string | null | undefined = s.sentFolder ?? undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const connection = async (): Promise<ImapFlow> => {
    if (closed)
      throw toProviderError(
        Object.assign(new Error('provider closed'), { code: 'NoConnection' }),
        'IMAP',
      );
    if (client?.usable) return client;
    if (borrowed) {
      borrowed.release({ broken: true });
      borrowed = null;
      client = null;
    }
    const lent = key ? await borrowSession(key, lentSessionWaitMs) : null;
    if (lent) {
      borrowed = lent;
      client = lent.client;
      return client;
    }
    if (!connecting) {
      connecting = connectImap(s, logger, {
        ...(deps.socketTimeoutMs ? { socketTimeout: deps.socketTimeoutMs } : {}),
        ...(deps.maxMessageBytes ? { maxMessageBytes: deps.maxMessageBytes } : {}),
      }).then(
        (c) => {
          client = c;
          connecting = null;
          return c;
        },
        (err: unknown) => {
          connecting = null;
          throw err;
        },
      );
    }
    return await connecting;
  };

  // Serialises IMAP work and turns every failure into a ProviderError (or keeps AppErrors such as
  // imap_folder_missing, which the classifier already understands as permanent).
  // A read (retry: true) that fails because a lent session broke under it runs once more on a fresh
  // login: a session kept across syncs may have been dropped by the server while idle.
  const exclusive = <T>(
    what: string,
    fn: (c: ImapFlow) => Promise<T>,
    opts: { retry?: boolean } = {},
  ): Promise<T> => {
    const run = queue.then(async () => {
      try {
        const c = await connection();
        const lent = borrowed?.client === c ? borrowed : null;
        try {
          return await fn(c);
        } catch (err) {
          // borrowed !== lent: fn itself connected anew after the session broke (a FETCH split
          // by imap-fetch.ts), and what it holds now is not this retry's to drop.
          if (!opts.retry || !lent || c.usable || borrowed !== lent) throw err;
          lent.release({ broken: true });
          borrowed = null;
          client = null;
          return await fn(await connection());
        }
      } catch (err) {
        throw toProviderError(err, what);
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };

  const fetchMany = (ids: string[]) =>
    exclusive(
      'IMAP fetch',
      (c) => fetchImapRawSplitting(c, connection, s.folder, ids, s.markSeen),
      { retry: true },
    );

  const resolveSentFolder = async (c: ImapFlow): Promise<string | null> => {
    if (sentFolder === undefined) sentFolder = (await detectSentFolder(c)) ?? 'Sent';
    return sentFolder;
  };

  return {
    kind: 'imap',
    pushMode: 'connection',

    async verify() {
      const res = await verifyImapAndSmtp(s, logger);
      if (sentFolder === undefined && res.sentFolder) sentFolder = res.sentFolder;
      return { address: res.address };
    },

    listChanges(cursor: Cursor | null, opts: ListChangesOptions) {
      return exclusive('IMAP list', (c) => listImapChanges(c, s.folder, cursor, opts), {
        retry: true,
      });
    },

    async fetchRaw(ref: Pick<RemoteMessageRef, 'providerMessageId'>) {
      return (await fetchMany([ref.providerMessageId])).get(ref.providerMessageId)!;
    },

    fetchRawMany(refs: Pick<RemoteMessageRef, 'providerMessageId'>[]) {
      return fetchMany(refs.map((r) => r.providerMessageId));
    },

    fetchHeaders(ref: Pick<RemoteMessageRef, 'providerMessageId'>) {
      return exclusive(
        'IMAP header fetch',
        (c) => fetchImapHeader(c, s.folder, ref.providerMessageId, s.markSeen),
        { retry: true },
      );
    },

    async send(mime: Buffer, meta: SendMeta) {
      // The SMTP part runs outside the IMAP queue; the Sent APPEND goes through it.
      return await sendViaSmtp(
        s,
        mime,
        meta,
        (raw) =>
          exclusive('IMAP append', async (c) =>
            appendSent(c, (await resolveSentFolder(c)) ?? 'Sent', raw),
          ),
        logger,
      );
    },

    findSentByMessageId(messageId: string) {
      return exclusive('IMAP sent search', async (c) =>
        findInSent(c, await resolveSentFolder(c), messageId),
      );
    },

    watch(onChange: () => void, signal: AbortSignal) {
      return watchImap(s, onChange, signal, {
        ...deps.watch,
        ...(logger ? { logger } : {}),
        ...(key ? { sessionKey: key } : {}),
        ...(deps.maxMessageBytes ? { maxMessageBytes: deps.maxMessageBytes } : {}),
      });
    },

    async close() {
      closed = true;
      await queue;
      const c = client;
      client = null;
      // A lent session goes back to its IDLE watch, logged in; only an own connection logs out.
      if (borrowed) borrowed.release();
      else await closeQuietly(c);
      borrowed = null;
    },
  };
}
