// IMAP/SMTP implementation of MailProvider. One instance serves one mailbox for the length of a job:
// it keeps one IMAP connection (made on first use, replaced by a new ImapFlow if it drops) and runs
// its operations one at a time, because an IMAP connection has a single selected folder.
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
import { fetchImapRaw, fetchImapRawMany } from './imap-fetch.js';
import { watchImap, type WatchOptions } from './imap-idle.js';
import { type ImapSettings, resolveImapSettings } from './imap-settings.js';
import { listImapChanges } from './imap-sync.js';
import { detectSentFolder, verifyImapAndSmtp } from './imap-verify.js';
import { appendSent, findInSent, sendViaSmtp } from './smtp-send.js';

export interface ImapProviderDeps extends ProviderDeps {
  /** Reconnect timing for watch(); tests shorten it. */
  watch?: WatchOptions;
}

export function makeImapProvider(
  settings: ImapSettings,
  deps: ImapProviderDeps = {},
): MailProvider {
  const s = resolveImapSettings(settings);
  const logger = deps.logger;
  let client: ImapFlow | null = null;
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
    if (!connecting) {
      connecting = connectImap(s, logger).then(
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
  const exclusive = <T>(what: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const run = queue.then(async () => {
      try {
        return await fn(await connection());
      } catch (err) {
        throw toProviderError(err, what);
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };

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
      return exclusive('IMAP list', (c) => listImapChanges(c, s.folder, cursor, opts));
    },

    fetchRaw(ref: Pick<RemoteMessageRef, 'providerMessageId'>) {
      return exclusive('IMAP fetch', (c) =>
        fetchImapRaw(c, s.folder, ref.providerMessageId, s.markSeen),
      );
    },

    fetchRawMany(refs: Pick<RemoteMessageRef, 'providerMessageId'>[]) {
      return exclusive('IMAP fetch', (c) =>
        fetchImapRawMany(
          c,
          s.folder,
          refs.map((r) => r.providerMessageId),
          s.markSeen,
        ),
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
      return watchImap(s, onChange, signal, { ...deps.watch, ...(logger ? { logger } : {}) });
    },

    async close() {
      closed = true;
      await queue;
      const c = client;
      client = null;
      await closeQuietly(c);
    },
  };
}
