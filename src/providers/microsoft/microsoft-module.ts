// Microsoft 365 as a provider module: everything the rest of Inlet needs to know about Graph mail,
// in one place.
import type { ProviderModule } from '../provider-module.js';
import { type GraphNotificationReceiver, makeGraphPushReceiver } from './graph-push-receiver.js';
import type { MicrosoftRuntime } from './graph-session.js';
import { microsoftConsent } from './microsoft-consent.js';
import { makeMicrosoftProvider } from './microsoft-provider.js';
import { makeMicrosoftRuntime } from './microsoft-runtime.js';
import { type MicrosoftCredentials, parseMicrosoftCredentials } from './microsoft-settings.js';
import { microsoftUpkeep } from './microsoft-upkeep.js';

export const microsoftModule: ProviderModule<
  MicrosoftCredentials,
  MicrosoftRuntime,
  GraphNotificationReceiver
> = {
  kind: 'graph',
  // revocableGrant: false — delegated consent cannot be revoked by the app for one mailbox; disconnect
  // still clears every token (the sealed MSAL cache dies with the mailbox key, see revoke()).
  capabilities: {
    canSend: true,
    syncs: true,
    subjectToken: true,
    holdsConnection: false,
    channelPush: true,
    revocableGrant: false,
    sentCopyIsAtomic: false,
  },
  // Exchange Online Protection writes its field without an authserv-id ("spf=pass (sender IP is …)
  // smtp.mailfrom=…; dkim=…; dmarc=… action=none header.from=…;compauth=…"), above any the sender wrote.
  authResults: () => ({ ids: [], idless: true }),
  start: (ctx) =>
    makeMicrosoftRuntime({
      microsoft: ctx.config.microsoft,
      publicUrl: ctx.config.publicUrl,
      db: ctx.db,
      keys: ctx.keys,
      logger: ctx.logger,
      maxMessageBytes: ctx.config.ingest.maxMessageBytes,
    }),
  parseSettings: parseMicrosoftCredentials,
  open: (settings, runtime, deps) =>
    makeMicrosoftProvider(settings, {
      ...(runtime ? { microsoft: runtime } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
    }),
  consent: microsoftConsent,
  push: (ctx) =>
    makeGraphPushReceiver({
      db: ctx.db,
      keys: ctx.keys,
      logger: ctx.logger,
      ...(ctx.metrics ? { registry: ctx.metrics } : {}),
    }),
  upkeep: microsoftUpkeep,
};
