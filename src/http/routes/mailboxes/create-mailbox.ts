import { Type } from 'typebox';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses } from '../../schemas.js';
import { Mailbox } from './schemas.js';

const LocalMailbox = Type.Object(
  {
    provider: Type.Literal('local', { description: 'A mailbox fed by `inlet import` (no remote server)' }),
    address: Type.String({ format: 'email', maxLength: 320 }),
    display_name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export function createMailboxRoute(app: Api, deps: ApiDeps): void {
  app.post('/v1/mailboxes', {
    config: { auth: 'mailboxes:manage' },
    schema: {
      operationId: 'createMailbox',
      tags: ['mailboxes'],
      summary: 'Connect a mailbox',
      body: LocalMailbox,
      response: { 201: Mailbox, ...errorResponses(...authErrors, 409, 422) },
    },
  }, async (req, reply) => {
    const view = await deps.mailboxes.createLocal(actorOf(req), { address: req.body.address, displayName: req.body.display_name ?? null });
    return reply.code(201).send(view);
  });
}
