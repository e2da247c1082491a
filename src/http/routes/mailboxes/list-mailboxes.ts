import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses } from '../../schemas.js';
import { Mailbox } from './schemas.js';

export function listMailboxesRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/mailboxes',
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: 'listMailboxes',
        tags: ['mailboxes'],
        summary: 'List connected mailboxes (audited)',
        response: {
          200: Type.Object({ items: Type.Array(Mailbox) }),
          ...errorResponses(...authErrors),
        },
      },
    },
    async (req) => ({ items: await deps.mailboxes.list(actorOf(req)) }),
  );
}
