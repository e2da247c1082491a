// A stored event as the feed and webhooks show it: the catalogue's envelope (src/events/catalogue.ts).
import type { EventRow } from '../store/event-store.js';
import { catalogueVersion, isEventType, resourceKey } from './catalogue.js';

export interface PublicEvent {
  id: string;
  type: string;
  version: number;
  created_at: string;
  data: Record<string, unknown>;
}

export const publicEventId = (id: string | bigint) => `evt_${id}`;

/** The stored id of a public `evt_…` id, or null when it is not one. */
export function storedEventId(publicId: string): string | null {
  const m = /^evt_(\d{1,19})$/.exec(publicId);
  return m ? m[1]! : null;
}

export function eventView(
  row: Pick<EventRow, 'id' | 'type' | 'resource_id' | 'data' | 'created_at'>,
): PublicEvent {
  const key = isEventType(row.type) ? resourceKey(row.type) : 'resource_id';
  return {
    id: publicEventId(row.id),
    type: row.type,
    version: catalogueVersion,
    created_at: row.created_at.toISOString(),
    data: { [key]: row.resource_id, ...row.data },
  };
}
