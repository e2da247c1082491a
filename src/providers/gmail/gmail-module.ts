// Gmail as a provider module: everything the rest of Inlet needs to know about Gmail, in one place.
import type { ProviderModule } from '../provider-module.js';
import { gmailConsent } from './gmail-consent.js';
import { makeGmailProvider } from './gmail-provider.js';
import { type GmailPushReceiver, makeGmailPushReceiver } from './gmail-push-receiver.js';
import { type GmailProcessRuntime, makeGmailRuntime } from './gmail-runtime.js';
import { type GmailCredentials, parseGmailCredentials } from './gmail-settings.js';
import { gmailUpkeep } from './gmail-upkeep.js';

export const gmailModule: ProviderModule<GmailCredentials, GmailProcessRuntime, GmailPushReceiver> =
  {
    kind: 'gmail',
    // Gmail threads a sent message into a thread only when its Subject matches, so no [#N] token.
    capabilities: {
      canSend: true,
      syncs: true,
      subjectToken: false,
      holdsConnection: false,
      channelPush: true,
      revocableGrant: true,
      sentCopyIsAtomic: true,
    },
    // Gmail and Google Workspace stamp every inbound message "Authentication-Results: mx.google.com; …".
    authResults: () => ({ ids: ['mx.google.com'], idless: false }),
    start: (ctx) =>
      makeGmailRuntime({
        google: ctx.config.google,
        publicUrl: ctx.config.publicUrl,
        db: ctx.db,
        logger: ctx.logger,
        maxMessageBytes: ctx.config.ingest.maxMessageBytes,
      }),
    parseSettings: parseGmailCredentials,
    open: (settings, runtime, deps) =>
      makeGmailProvider(settings, {
        ...(runtime ? { gmail: runtime } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
      }),
    consent: gmailConsent,
    push: (ctx) =>
      makeGmailPushReceiver({
        db: ctx.db,
        keys: ctx.keys,
        logger: ctx.logger,
        google: ctx.config.google,
        ...(ctx.metrics ? { registry: ctx.metrics } : {}),
      }),
    upkeep: gmailUpkeep,
  };
