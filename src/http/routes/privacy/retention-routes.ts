// Retention policies and runs (scope privacy:manage).
import { Type } from 'typebox';

import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, Timestamp, Uuid } from '../../schemas.js';
import { PrivacyReceipt } from './schemas.js';

const Days = Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()]);
const Policy = Type.Object(
  {
    mailbox_id: Type.Union([Uuid, Type.Null()]),
    inactive_days: Days,
    closed_days: Days,
    updated_at: Timestamp,
  },
  { $id: 'RetentionPolicy' },
);
const Policies = Type.Object({ items: Type.Array(Policy) });
const Counts = Type.Record(Type.String(), Type.Integer());
const receiptView = (r: import('../../../store/subject-request-store.js').PrivacyReceiptRow) => ({
  id: r.id,
  kind: r.kind,
  requested_by: r.requested_by,
  started_at: r.started_at.toISOString(),
  completed_at: r.completed_at?.toISOString() ?? null,
  counts: r.counts,
  detail: r.detail,
});

export function retentionRoutes(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/retention-policies',
    {
      config: { auth: 'privacy:manage' },
      schema: {
        operationId: 'listRetentionPolicies',
        tags: ['privacy'],
        summary: "The tenant's retention policy and per-mailbox overrides",
        response: { 200: Policies, ...errorResponses(...authErrors) },
      },
    },
    async (req) => ({ items: await deps.retention.list(actorOf(req)) }),
  );

  app.put(
    '/v1/retention-policies',
    {
      config: { auth: 'privacy:manage' },
      schema: {
        operationId: 'setRetentionPolicy',
        tags: ['privacy'],
        summary:
          'Set the tenant policy (mailbox_id null) or a mailbox override, which replaces it for that mailbox; both rules null removes it',
        body: Type.Object(
          { mailbox_id: Type.Union([Uuid, Type.Null()]), inactive_days: Days, closed_days: Days },
          { additionalProperties: false },
        ),
        response: { 200: Policies, ...errorResponses(...authErrors, 404) },
      },
    },
    async (req) => ({
      items: await deps.retention.set(actorOf(req), {
        mailboxId: req.body.mailbox_id,
        inactiveDays: req.body.inactive_days,
        closedDays: req.body.closed_days,
      }),
    }),
  );

  app.post(
    '/v1/retention-runs',
    {
      config: { auth: 'privacy:manage' },
      schema: {
        operationId: 'runRetention',
        tags: ['privacy'],
        summary:
          'Apply the retention policy now (the nightly job does the same); dry_run answers what would be deleted',
        body: Type.Object({ dry_run: Type.Boolean() }, { additionalProperties: false }),
        response: {
          200: Type.Object({ dry_run: Type.Literal(true), counts: Counts }),
          201: PrivacyReceipt,
          ...errorResponses(...authErrors),
        },
      },
    },
    async (req, reply) => {
      if (req.body.dry_run)
        return reply
          .code(200)
          .send({ dry_run: true as const, counts: await deps.retention.dryRun(actorOf(req)) });
      return reply.code(201).send(receiptView(await deps.retention.run(actorOf(req))));
    },
  );
}
