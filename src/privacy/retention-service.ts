// The retention API: read and set policies, and run now (dry run or real) for the caller's tenant.
import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { PurgeCounts } from '../store/purge-store.js';
import type { PrivacyReceiptRow } from '../store/subject-request-store.js';
import type { Actor } from '../tenancy/actor.js';
import type { EpochSettings } from '../tenancy/key-epochs.js';
import {
  listPolicies,
  planRetention,
  type RetentionPolicy,
  runRetention,
  setPolicy,
} from './retention.js';

export interface RetentionService {
  list(actor: Actor): Promise<RetentionPolicy[]>;
  set(
    actor: Actor,
    p: { mailboxId: string | null; inactiveDays: number | null; closedDays: number | null },
  ): Promise<RetentionPolicy[]>;
  dryRun(actor: Actor): Promise<PurgeCounts>;
  run(actor: Actor): Promise<PrivacyReceiptRow>;
}

export function makeRetentionService(deps: { db: Db; epochs: EpochSettings }): RetentionService {
  const { db } = deps;
  return {
    list: (actor) => db.tenantTx(actor.tenantId, (ex) => listPolicies(ex, actor.tenantId)),
    set: (actor, p) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        if (p.mailboxId) {
          const { rows } = await ex.query(
            'SELECT 1 FROM mailboxes WHERE tenant_id = $1 AND id = $2',
            [actor.tenantId, p.mailboxId],
          );
          if (rows.length === 0) throw new AppError('not_found', 'The mailbox does not exist.');
        }
        return setPolicy(ex, actor, p);
      }),
    dryRun: (actor) =>
      db.tenantTx(actor.tenantId, (ex) => planRetention(ex, actor.tenantId, new Date())),
    run: (actor) => runRetention(deps, actor.tenantId, { requestedBy: actor.name }),
  };
}
