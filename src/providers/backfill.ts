/** Backfill bounds for a new mailbox when the caller gives none: the last 30 days, at most 1,000 messages. */
export const defaultBackfill = { days: 30, maxMessages: 1000 } as const;
