import { Type } from 'typebox';

import { Timestamp, Uuid } from '../../schemas.js';

const Counts = Type.Record(Type.String(), Type.Integer(), {
  description: 'rows (or items) per kind; never content',
});

export const SubjectRequest = Type.Object(
  {
    id: Type.Union([Uuid, Type.Null()], { description: 'null for a dry run (nothing is stored)' }),
    type: Type.Union([Type.Literal('export'), Type.Literal('erase')]),
    dry_run: Type.Boolean(),
    state: Type.Union([
      Type.Literal('planned'),
      Type.Literal('queued'),
      Type.Literal('running'),
      Type.Literal('completed'),
      Type.Literal('failed'),
      Type.Literal('expired'),
      Type.Literal('downloaded'),
    ]),
    progress: Type.Object({
      done: Type.Integer(),
      total: Type.Union([Type.Integer(), Type.Null()]),
    }),
    counts: Counts,
    requested_at: Timestamp,
    completed_at: Type.Union([Timestamp, Type.Null()]),
    expires_at: Type.Union([Timestamp, Type.Null()], {
      description: 'export: the zip can be downloaded once until then',
    }),
    download_url: Type.Union([Type.String(), Type.Null()]),
    windows: Type.Union([
      Type.Object(
        { live: Type.String(), backups_unreadable_within_days: Type.Integer() },
        {
          description:
            'erasure: live data at once, database backups after this many days (key epochs)',
        },
      ),
      Type.Null(),
    ]),
  },
  { $id: 'SubjectRequest' },
);

export const PrivacyReceipt = Type.Object(
  {
    id: Uuid,
    kind: Type.Union([
      Type.Literal('erasure'),
      Type.Literal('retention'),
      Type.Literal('tenant_offboarding'),
    ]),
    requested_by: Type.String(),
    started_at: Timestamp,
    completed_at: Type.Union([Timestamp, Type.Null()]),
    counts: Counts,
    detail: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'PrivacyReceipt' },
);
