import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { ImapCredentialsBody, Mailbox } from './schemas.js';

export function updateCredentialsRoute(app: Api, deps: ApiDeps): void {
  app.put(
    '/v1/mailboxes/:id/credentials',
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: 'updateMailboxCredentials',
        tags: ['mailboxes'],
        summary:
          'New IMAP/SMTP settings (e.g. after a password change): both logins are checked first (422 with the provider code stores nothing); a reauth_required mailbox becomes active and resumes where it stopped',
        params: IdParams,
        body: ImapCredentialsBody,
        response: { 200: Mailbox, ...errorResponses(...authErrors, 404, 410, 422) },
      },
    },
    async (req) =>
      deps.imapMailboxes.reauthorize(actorOf(req), req.params.id, {
        imap: req.body.imap,
        smtp: req.body.smtp,
      }),
  );
}
