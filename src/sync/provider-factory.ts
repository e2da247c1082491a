// Builds the MailProvider for a stored mailbox: reads the row, unwraps the mailbox data key and
// opens the sealed connection settings. Jobs (sync, send) and the IDLE supervisor all come through
// here, so credentials are decrypted in one place and never leave memory.
import { openText, seal, type DataKey } from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import type { MailProvider, ProviderKind } from '../providers/mail-provider.js';
import { makeImapProvider, type ImapProviderDeps } from '../providers/imap/imap-provider.js';
import { makeGmailProvider, type GmailProviderDeps } from '../providers/gmail/gmail-provider.js';
import { parseGmailCredentials } from '../providers/gmail/gmail-settings.js';
import type { ImapSettings } from '../providers/imap/imap-settings.js';
import type { Executor } from '../store/db.js';
import { findMailbox } from '../store/mailbox-store.js';
import type { KeyService } from '../tenancy/key-service.js';

/** What every provider factory here receives besides its decrypted settings. */
export type ProviderFactoryDeps = ImapProviderDeps & GmailProviderDeps;

type Factory = (settingsJson: string, deps: ProviderFactoryDeps) => MailProvider;

// Gmail and Graph join this table when their providers land; until then such a row cannot be
// opened (there is no way to create one either).
const factories: Partial<Record<ProviderKind, Factory>> = {
  imap: (json, deps) => makeImapProvider(JSON.parse(json) as ImapSettings, deps),
  gmail: (json, deps) => makeGmailProvider(parseGmailCredentials(json), deps),
};

/** AAD of mailboxes.credentials_ct: bound to tenant, mailbox and field, so it cannot be moved. */
export function credentialsAad(tenantId: string, mailboxId: string) {
  return { tenantId, scope: mailboxId, field: 'mailboxes.credentials', rowId: mailboxId };
}

export function sealCredentials(dek: DataKey, tenantId: string, mailboxId: string, settings: ImapSettings): Buffer {
  return seal(dek, JSON.stringify(settings), credentialsAad(tenantId, mailboxId));
}

/**
 * The provider for one mailbox. 404 when the row is not visible in this transaction, 410
 * mailbox_data_destroyed after disconnect, 422 mailbox_cannot_send for local (import-only) mailboxes.
 * The caller must close() the provider.
 */
export async function providerForMailbox(ex: Executor, keys: KeyService, tenantId: string, mailboxId: string, deps: ProviderFactoryDeps = {}): Promise<MailProvider> {
  const row = await findMailbox(ex, tenantId, mailboxId);
  if (!row) throw notFound('mailbox');
  if (row.provider === 'local') {
    throw new AppError('mailbox_cannot_send', 'This mailbox is fed by imports only; it has no mail server to read from or send through.', undefined, 422);
  }
  const factory = factories[row.provider];
  if (!factory) throw new AppError('internal', `provider ${row.provider} is not available in this build`);
  const dek = await keys.mailboxKey(ex, tenantId, mailboxId);
  if (!row.credentials_ct) throw new AppError('internal', 'mailbox has no stored credentials');
  return factory(openText(dek, row.credentials_ct, credentialsAad(tenantId, mailboxId)), deps);
}
