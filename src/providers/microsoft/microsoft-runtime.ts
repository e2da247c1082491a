// The process-wide part of Microsoft 365 support, built once when the process starts the module:
// the app registration and hosts from config, per-mailbox MSAL apps and pacing, the credentials
// writer the MSAL cache plugin and the subscriptions use, and what happens when a grant dies
// (mailbox → reauth_required + mailbox.reauth_required event, once; syncs, sends and renewals then
// skip the mailbox until it is re-consented).
import type { MicrosoftConfig } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { recordSendGrant, requireReauth } from '../../mailboxes/status.js';
import type { Db } from '../../store/db.js';
import type { KeyService } from '../../tenancy/key-service.js';
import type { MicrosoftRuntime } from './graph-session.js';
import { defaultLimits, type GraphLimits } from './microsoft-settings.js';
import { patchCredentials } from './microsoft-store.js';

export const microsoftCallbackPath = '/v1/oauth/microsoft/callback';
export const graphNotificationPath = '/v1/webhooks/graph/notifications';
export const graphLifecyclePath = '/v1/webhooks/graph/lifecycle';

export function makeMicrosoftRuntime(deps: {
  microsoft: MicrosoftConfig;
  publicUrl: string;
  db: Db;
  keys: KeyService;
  logger: Logger;
  limits?: GraphLimits;
  /** INGEST_MAX_MESSAGE_BYTES: a larger message is not downloaded, only its headers. */
  maxMessageBytes?: number;
}): MicrosoftRuntime | undefined {
  const ms = deps.microsoft;
  if (!ms.client) return undefined;
  const log = deps.logger.child({ component: 'microsoft' });
  return {
    client: {
      clientId: ms.client.id,
      clientSecret: ms.client.secret,
      authority: ms.authority,
      graphUrl: ms.graphUrl,
      redirectUri: `${deps.publicUrl}${microsoftCallbackPath}`,
      notificationUrl: `${deps.publicUrl}${graphNotificationPath}`,
      lifecycleNotificationUrl: `${deps.publicUrl}${graphLifecyclePath}`,
      subscriptionMinutes: ms.subscriptionMinutes,
      largeReplies: ms.largeReplies,
    },
    limits: deps.limits ?? defaultLimits,
    ...(deps.maxMessageBytes ? { maxMessageBytes: deps.maxMessageBytes } : {}),
    pacers: new Map(),
    apps: new Map(),
    async saveCredentials(tenantId, mailboxId, patch) {
      await deps.db.tenantTx(tenantId, (ex) =>
        patchCredentials(ex, deps.keys, tenantId, mailboxId, patch),
      );
    },
    async onAuthRevoked(tenantId, mailboxId) {
      const changed = await deps.db.tenantTx(tenantId, (ex) =>
        requireReauth(ex, tenantId, mailboxId),
      );
      if (changed)
        log.warn({ mailbox: mailboxId }, 'microsoft grant revoked; mailbox needs re-consent');
    },
    async onSendGrant(tenantId, mailboxId, granted) {
      const changed = await deps.db.tenantTx(tenantId, (ex) =>
        recordSendGrant(ex, tenantId, mailboxId, granted),
      );
      if (changed)
        log.warn({ mailbox: mailboxId, sendGranted: granted }, 'microsoft send grant changed');
    },
  };
}
