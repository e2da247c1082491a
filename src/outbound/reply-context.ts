// What a reply is written from: the ticket (locked), its mailbox and whether it may send, the
// sender and requester addresses opened under the mailbox key, the reply subject, and the headers
// of the mail it answers.
import {
  type DataKey,
  fieldAad as aad,
  mailboxAad,
  openText,
  type SealedField,
} from '../crypto/index.js';
import { AppError, isAppError, notFound } from '../errors.js';
import type { StoredHeaders } from '../ingest/prepare.js';
import { capabilitiesOf } from '../providers/registry.js';
import type { Executor } from '../store/db.js';
import { findMailbox } from '../store/mailbox-store.js';
import { findTicket } from '../store/ticket-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { replySubject } from '../tickets/ticket-token.js';
import type { ParentHeaders } from './compose-reply.js';
import { checkStoredAddress, type MailAddress } from './header-safety.js';
import { latestInbound } from './outbox-store.js';

export async function readReplyContext(
  keys: KeyService,
  ex: Executor,
  tenantId: string,
  ticketId: string,
) {
  const ticket = await findTicket(ex, tenantId, ticketId, { lock: true });
  if (!ticket) throw notFound('ticket');
  const mailboxId = ticket.mailbox_id;
  const mailbox = await findMailbox(ex, tenantId, mailboxId);
  if (!mailbox) throw notFound('mailbox');
  const caps = capabilitiesOf(mailbox.provider);
  if (!caps.canSend) {
    throw new AppError(
      'mailbox_cannot_send',
      'The ticket’s mailbox is fed by imports only and cannot send mail.',
      undefined,
      422,
    );
  }
  if (mailbox.status === 'disconnecting')
    throw new AppError(
      'mailbox_cannot_send',
      'The ticket’s mailbox is being disconnected.',
      undefined,
      422,
    );
  if (!mailbox.send_granted)
    throw new AppError(
      'mailbox_send_not_granted',
      'The ticket’s mailbox no longer grants Inlet permission to send mail. Connect the mailbox again and allow sending.',
    );
  const dek = await keys.mailboxKey(ex, tenantId, mailboxId); // 410 once the mailbox was disconnected
  const signingKey = (await keys.tenantKey(ex, tenantId, 'signing')).key;
  const fromAddress = openText(
    dek,
    mailbox.address_ct!,
    mailboxAad('mailboxes.address', tenantId, mailboxId),
  );
  const from: MailAddress = {
    address: fromAddress,
    name: mailbox.display_name_ct
      ? openText(
          dek,
          mailbox.display_name_ct,
          mailboxAad('mailboxes.display_name', tenantId, mailboxId),
        )
      : '',
  };
  const t = (field: SealedField, ct: Buffer) =>
    openText(dek, ct, aad(field, tenantId, mailboxId, ticketId));
  if (!ticket.requester_ct)
    throw new AppError('unprocessable', 'The ticket has no requester address to reply to.');
  const requester = JSON.parse(t('tickets.requester', ticket.requester_ct)) as MailAddress;
  const to = checkStoredAddress({ name: requester.name, address: requester.address }, 'requester');
  const subject = replySubject(t('tickets.subject', ticket.subject_ct), Number(ticket.number), {
    token: caps.subjectToken,
  });
  return { ticket, mailboxId, dek, signingKey, fromAddress, from, to, subject };
}

export async function parentHeaders(
  keys: KeyService,
  ex: Executor,
  tenantId: string,
  ticketId: string,
): Promise<{ headers: ParentHeaders | null }> {
  const parent = await latestInbound(ex, tenantId, ticketId);
  if (!parent) return { headers: null };
  let dek: DataKey;
  try {
    dek = await keys.mailboxKey(ex, tenantId, parent.mailbox_id);
  } catch (err) {
    // Answered mail that came through a since-disconnected mailbox: its ids are gone with its key.
    if (isAppError(err) && err.code === 'mailbox_data_destroyed') return { headers: null };
    throw err;
  }
  return {
    headers: JSON.parse(
      openText(
        dek,
        parent.headers_ct,
        aad('messages.headers', tenantId, parent.mailbox_id, parent.id),
      ),
    ) as StoredHeaders,
  };
}
