// IMAP/SMTP as a provider module. New mail is announced over a held IDLE connection (workers lease
// mailboxes, src/sync/idle-supervisor.ts) with a fallback poll every SYNC_POLL_MINUTES.
import type { ProviderModule } from '../provider-module.js';
import type { WatchOptions } from './imap-idle.js';
import { makeImapProvider } from './imap-provider.js';
import type { ImapSettings } from './imap-settings.js';

/** From config: the message size limit, which also caps a FETCH literal. Tests shorten the IDLE
 *  reconnect timing here. */
export interface ImapRuntime {
  watch?: WatchOptions;
  maxMessageBytes?: number;
}

export const imapModule: ProviderModule<ImapSettings, ImapRuntime> = {
  kind: 'imap',
  capabilities: {
    canSend: true,
    syncs: true,
    subjectToken: true,
    holdsConnection: true,
    channelPush: false,
    revocableGrant: false,
    sentCopyIsAtomic: false,
  },
  // Any server may sit behind IMAP: the operator names the ones that receive its mailboxes' mail.
  authResults: (config) => ({ ids: config.trustedAuthservIds, idless: false }),
  start: (ctx) => ({ maxMessageBytes: ctx.config.ingest.maxMessageBytes }),
  parseSettings: (json) => JSON.parse(json) as ImapSettings,
  open: (settings, runtime, deps) =>
    makeImapProvider(settings, {
      ...(runtime?.watch ? { watch: runtime.watch } : {}),
      ...(runtime?.maxMessageBytes ? { maxMessageBytes: runtime.maxMessageBytes } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
      mailboxId: deps.mailboxId,
    }),
  // IDLE can miss mail while reconnecting, and a mailbox without a lease holder has no IDLE at all.
  upkeep: { pollMinutes: (config) => config.syncPollMinutes },
};
