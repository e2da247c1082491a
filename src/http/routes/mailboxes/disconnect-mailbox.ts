import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams } from '../../schemas.js';
import { Mailbox } from './schemas.js';

export function disconnectMailboxRoute(app: Api, deps: ApiDeps): void {
  app.delete(
    '/v1/mailboxes/:id',
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: 'disconnectMailbox',
        tags: ['mailboxes'],
        summary:
          'Disconnect a mailbox: push stopped, grant revoked, data key destroyed at once (crypto-shredding), every row purged after MAILBOX_PURGE_DELAY_HOURS; `deletion` holds the receipt. Repeating it returns the same state',
        params: IdParams,
        response: { 200: Mailbox, ...errorResponses(...authErrors, 404) },
      },
    },
    async (req) => deps.mailboxes.disconnect(actorOf(req), req.params.id),
  );
}
