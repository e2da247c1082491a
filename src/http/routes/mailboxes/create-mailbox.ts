import type { Static } from 'typebox';

import { assertHeaderSafe } from '../../../outbound/header-safety.js';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses } from '../../schemas.js';
import { CreateMailboxBody, type ImapMailboxBody, Mailbox } from './schemas.js';

function imapInput(b: Static<typeof ImapMailboxBody>) {
  return {
    imap: b.imap,
    smtp: b.smtp,
    ...(b.address === undefined ? {} : { address: b.address }),
    displayName: b.display_name ?? null,
    ...(b.folder === undefined ? {} : { folder: b.folder }),
    ...(b.mark_seen === undefined ? {} : { markSeen: b.mark_seen }),
    ...(b.backfill
      ? { backfill: { days: b.backfill.days, maxMessages: b.backfill.max_messages } }
      : {}),
  };
}

export function createMailboxRoute(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/mailboxes',
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: 'createMailbox',
        tags: ['mailboxes'],
        summary:
          'Connect a mailbox (IMAP: both logins are checked first; 422 with imap_auth_failed, imap_tls_failed, imap_unreachable, imap_folder_missing, smtp_auth_failed, smtp_tls_failed, smtp_unreachable or mail_server_unreachable (address or port not allowed) stores nothing)',
        body: CreateMailboxBody,
        response: { 201: Mailbox, ...errorResponses(...authErrors, 409, 422) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      // The display name becomes the From header of every reply: a line break or control character
      // accepted here would make each of them fail with header_injection, far from its cause.
      if (body.display_name !== undefined) assertHeaderSafe(body.display_name, 'display_name');
      const view =
        body.provider === 'imap'
          ? await deps.imapMailboxes.connect(actorOf(req), imapInput(body))
          : await deps.mailboxes.createLocal(actorOf(req), {
              address: body.address,
              displayName: body.display_name ?? null,
            });
      return reply.code(201).send(view);
    },
  );
}
