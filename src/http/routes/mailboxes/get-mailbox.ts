import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { Mailbox } from './schemas.js';

export function getMailboxRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/mailboxes/:id',
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: 'getMailbox',
        tags: ['mailboxes'],
        summary:
          'One mailbox (audited); after disconnect 410 mailbox_data_destroyed, the problem document carrying the deletion receipt as `deletion` (MailboxDeletion shape)',
        params: IdParams,
        response: { 200: Mailbox, ...errorResponses(...authErrors, 404, 410) },
      },
    },
    async (req) => deps.mailboxes.get(actorOf(req), req.params.id),
  );
}
