// Local mailboxes: fed only by `inlet import` (src/import/), with no server to read from or send
// through. A module all the same, so the registry is exhaustive and nobody tests for 'local'.
import { AppError } from '../../errors.js';
import type { ProviderModule } from '../provider-module.js';

export const localModule: ProviderModule<null, null> = {
  kind: 'local',
  capabilities: {
    canSend: false,
    syncs: false,
    subjectToken: true,
    holdsConnection: false,
    channelPush: false,
    revocableGrant: false,
    sentCopyIsAtomic: false,
  },
  // Imported mail was received wherever it came from; the operator names the servers to believe.
  authResults: (config) => ({ ids: config.trustedAuthservIds, idless: false }),
  start: () => null,
  parseSettings: () => null,
  open: () => {
    throw new AppError(
      'mailbox_cannot_send',
      'This mailbox is fed by imports only; it has no mail server to read from or send through.',
      undefined,
      422,
    );
  },
};
