import { Type } from 'typebox';

import { checkIdempotencyKey, replyLimits } from '../../../outbound/reply-input.js';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, IdParams, Timestamp, Uuid } from '../../schemas.js';

const ReplyBody = Type.Object(
  {
    text: Type.Optional(
      Type.String({
        maxLength: replyLimits.maxTextChars,
        description: 'Plain-text body; derived from `html` when absent',
      }),
    ),
    html: Type.Optional(
      Type.String({
        maxLength: replyLimits.maxHtmlChars,
        description: 'HTML body, sent as written',
      }),
    ),
    cc: Type.Optional(
      Type.Array(
        Type.String({ maxLength: 320, description: '`a@b.example` or `Name <a@b.example>`' }),
        { maxItems: replyLimits.maxCc },
      ),
    ),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            filename: Type.String({ minLength: 1, maxLength: replyLimits.maxFilenameChars }),
            content_type: Type.String({
              minLength: 3,
              maxLength: 255,
              description: 'MIME type, e.g. application/pdf',
            }),
            content_base64: Type.String({
              description: 'RFC 4648 base64, padded, without line breaks',
            }),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: replyLimits.maxAttachments,
          description: `At most ${replyLimits.maxAttachmentBytes} bytes in total (decoded)`,
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'At least one of `text` and `html`. Values that become mail headers must not contain line breaks or control characters (400 header_injection).',
  },
);

const ReplyAccepted = Type.Object(
  {
    id: Uuid,
    ticket_id: Uuid,
    state: Type.Union([
      Type.Literal('queued'),
      Type.Literal('sending'),
      Type.Literal('sent'),
      Type.Literal('failed'),
      Type.Literal('cancelled'),
      Type.Literal('bounced'),
    ]),
    message_id: Type.String({
      description: 'RFC 5322 Message-ID of the reply, with angle brackets',
    }),
    created_at: Timestamp,
  },
  { $id: 'ReplyAccepted' },
);

export function createReplyRoute(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/tickets/:id/replies',
    {
      config: { auth: 'tickets:write' },
      bodyLimit: replyLimits.bodyLimitBytes,
      schema: {
        operationId: 'createReply',
        tags: ['tickets'],
        summary:
          'Reply to the ticket’s requester from its mailbox (queued, sent at most once; audited)',
        description:
          'The reply is stored and queued in one transaction and sent by a background job; `reply.sent` / `reply.failed` events report the outcome. ' +
          'Retrying with the same Idempotency-Key and body returns the same reply (with its current state) and sends nothing more; the same key with a different body is 409 idempotency_conflict.',
        params: IdParams,
        headers: Type.Object({
          'idempotency-key': Type.String({
            minLength: 1,
            maxLength: 200,
            description: '1–200 printable ASCII characters, unique per reply (a UUID)',
          }),
        }),
        body: ReplyBody,
        response: { 202: ReplyAccepted, ...errorResponses(...authErrors, 404, 409, 410, 413, 422) },
      },
    },
    async (req, reply) => {
      const key = checkIdempotencyKey(req.headers['idempotency-key']);
      const { replayed, reply: view } = await deps.replies.create(
        actorOf(req),
        req.params.id,
        key,
        req.body,
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send(view);
    },
  );
}
