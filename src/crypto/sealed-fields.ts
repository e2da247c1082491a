// Every sealed column, named once. A sealed value's AAD binds tenant, scope (the mailbox, or
// 'tenant'/'oauth' for tenant-wide values), the column and the row, so a ciphertext copied to
// another row, column, mailbox or tenant fails to open. The column names below are part of
// every stored ciphertext: renaming one makes existing values unreadable, so they never change.
import type { Aad } from './envelope.js';

export const sealedFields = [
  'attachments.content',
  'attachments.content_id',
  'attachments.filename',
  'ingest_failures.raw',
  'mailboxes.address',
  'mailboxes.credentials',
  'mailboxes.display_name',
  'messages.body_text',
  'messages.headers',
  'messages.html',
  'messages.raw',
  'messages.raw_chunk',
  'messages.reply',
  'messages.subject',
  'messages.text',
  'oauth_states.verifier',
  'outbox.rfc_message_id',
  'subject_requests.address',
  'subject_requests.export',
  'tickets.requester',
  'tickets.subject',
  'webhook_endpoints.previous_secret',
  'webhook_endpoints.secret',
] as const;

export type SealedField = (typeof sealedFields)[number];

/** The AAD of one sealed value. */
export function fieldAad(field: SealedField, tenantId: string, scope: string, rowId: string): Aad {
  return { tenantId, scope, field, rowId };
}

/** The AAD of a sealed column of a mailbox row (address, display name, credentials). */
export function mailboxAad(
  field: SealedField & `mailboxes.${string}`,
  tenantId: string,
  mailboxId: string,
): Aad {
  return { tenantId, scope: mailboxId, field, rowId: mailboxId };
}
