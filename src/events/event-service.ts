// GET /v1/events: the tenant's events in feed order after a cursor. A read first numbers the
// tenant's committed events (the sequencer), so the feed never waits for the dispatcher.
import { parseCronItems, type ParsedCronItem } from 'graphile-worker';

import { AppError } from '../errors.js';
import type { Db } from '../store/db.js';
import { deleteEventsBefore, listFeed } from '../store/event-store.js';
import type { Actor } from '../tenancy/actor.js';
import { eventView, type PublicEvent } from './event-view.js';
import { sequenceTenantEvents } from './sequencer.js';

export interface EventFeedPage {
  items: PublicEvent[];
  /** Pass as `after` next time; equal to the given cursor when nothing new has happened. */
  next_cursor: string;
}

export interface EventService {
  feed(
    actor: Actor,
    q: { after?: string; types?: string[]; limit: number },
  ): Promise<EventFeedPage>;
}

function parseCursor(after: string | undefined): bigint {
  if (after === undefined || after === '') return 0n;
  if (!/^\d{1,19}$/.test(after))
    throw new AppError(
      'validation_failed',
      'Invalid cursor: pass the next_cursor of a previous page.',
      { errors: [{ path: '/querystring/after', message: 'not a cursor' }] },
    );
  return BigInt(after);
}

export function makeEventService(deps: { db: Db }): EventService {
  return {
    feed: (actor, q) =>
      deps.db.tenantTx(actor.tenantId, async (ex) => {
        const after = parseCursor(q.after);
        await sequenceTenantEvents(ex, actor.tenantId, new Date());
        const rows = await listFeed(ex, actor.tenantId, {
          after,
          types: q.types && q.types.length > 0 ? q.types : null,
          limit: q.limit,
        });
        return {
          items: rows.map(eventView),
          next_cursor: rows.length > 0 ? rows.at(-1)!.position : after.toString(),
        };
      }),
  };
}

/** The daily retention sweep (EVENTS_RETENTION_DAYS): deletes older events with their deliveries and attempts. */
export async function purgeOldEvents(
  db: Db,
  retentionDays: number,
  now = new Date(),
): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * 86_400_000);
  let total = 0;
  for (;;) {
    const n = await db.tx((ex) => deleteEventsBefore(ex, before, 5000));
    total += n;
    if (n < 5000) return total;
  }
}

export function eventsCronItems(): ParsedCronItem[] {
  return parseCronItems([
    {
      task: 'events.retention',
      match: '41 3 * * *',
      identifier: 'events-retention',
      options: {
        backfillPeriod: 0,
        maxAttempts: 3,
        jobKey: 'events-retention',
        jobKeyMode: 'replace',
      },
    },
  ]);
}
