// Runs the send job of a reply the API created, as graphile-worker would: tests know the reply by the
// id the API returned (its outbound message), the job by its outbox row.
import { type SendJobDeps, type SendOutcome, sendReply } from '../../src/outbound/send-reply.js';

/** The outbox row of a reply, read as the owner role (no tenant needed). */
export async function outboxIdOf(deps: Pick<SendJobDeps, 'db'>, replyId: string): Promise<string> {
  const { rows } = await deps.db.tx((ex) =>
    ex.query<{ id: string }>('SELECT id FROM outbox WHERE message_id = $1', [replyId]),
  );
  if (!rows[0]) throw new Error(`no outbox row for reply ${replyId}`);
  return rows[0].id;
}

/** One run of the reply's send job; `attempt` counts this run, as job.attempts does. */
export async function runSendJob(
  deps: SendJobDeps,
  tenantId: string,
  replyId: string,
  attempt = 1,
  maxAttempts = 10,
): Promise<SendOutcome> {
  return sendReply(
    deps,
    { tenantId, outboxId: await outboxIdOf(deps, replyId) },
    { attempt, maxAttempts },
  );
}
