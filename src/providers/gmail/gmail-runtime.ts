// The process-wide part of Gmail support, built once when the process starts the Gmail module:
// Google client registration and endpoints from config, the in-memory access-token cache,
// per-mailbox rate-limit state, and what happens when a grant dies (mailbox → reauth_required +
// mailbox.reauth_required event, once; syncs, sends and renewals then skip the mailbox until it is
// re-consented).
import type { GoogleConfig } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { recordSendGrant, requireReauth } from '../../mailboxes/status.js';
import type { Db } from '../../store/db.js';
import { makePacerPool, makeQuotaPacer, type PacerClock, type QuotaRate } from '../quota-pacer.js';
import type { GmailRuntime } from './gmail-client.js';
import { type GmailBackoff, gmailQuota } from './gmail-settings.js';

export type GmailProcessRuntime = GmailRuntime & { topicName: string | null };

export const googleCallbackPath = '/v1/oauth/google/callback';

export function makeGmailRuntime(deps: {
  google: GoogleConfig;
  publicUrl: string;
  db: Db;
  logger: Logger;
  backoff?: GmailBackoff;
  /** Tests pace faster or on a fake clock. */
  quota?: QuotaRate;
  pacerClock?: PacerClock;
  /** INGEST_MAX_MESSAGE_BYTES: a larger message is not downloaded, only its headers. */
  maxMessageBytes?: number;
}): GmailProcessRuntime | undefined {
  const { google } = deps;
  if (!google.client) return undefined;
  const log = deps.logger.child({ component: 'gmail' });
  return {
    client: {
      clientId: google.client.id,
      clientSecret: google.client.secret,
      redirectUri: `${deps.publicUrl}${googleCallbackPath}`,
      endpoints: {
        authUrl: google.authUrl,
        tokenUrl: google.tokenUrl,
        revokeUrl: google.revokeUrl,
        gmailApiUrl: google.gmailApiUrl,
      },
    },
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
    ...(deps.maxMessageBytes ? { maxMessageBytes: deps.maxMessageBytes } : {}),
    tokens: new Map(),
    notBefore: new Map(),
    pacers: makePacerPool(() => makeQuotaPacer(deps.quota ?? gmailQuota, deps.pacerClock)),
    topicName: google.topicName,
    async onAuthRevoked(tenantId, mailboxId) {
      const changed = await deps.db.tenantTx(tenantId, (ex) =>
        requireReauth(ex, tenantId, mailboxId),
      );
      if (changed)
        log.warn({ mailbox: mailboxId }, 'gmail grant revoked; mailbox needs re-consent');
    },
    async onSendGrant(tenantId, mailboxId, granted) {
      const changed = await deps.db.tenantTx(tenantId, (ex) =>
        recordSendGrant(ex, tenantId, mailboxId, granted),
      );
      if (changed)
        log.warn({ mailbox: mailboxId, sendGranted: granted }, 'gmail send grant changed');
    },
  };
}
