// UID SEARCH that never mistakes a failure for "no mail". imapflow resolves search() to false when
// the server answers NO or BAD and to undefined once the connection is gone (a BYE between two
// commands); read as an empty list, either made a backfill skip its whole window and a fetch call
// still-present messages expunged. Some servers refuse UID ranges in SEARCH (BAD to
// `UID SEARCH UID 5:*`): they are asked for every UID (or every UID since a day) once per session
// instead, and the range is applied here.
import type { ImapFlow } from 'imapflow';

import { ProviderError } from '../provider-errors.js';

/** Sessions whose server refused a UID range: they go straight to the plain SEARCH. */
const refusesRanges = new WeakSet<ImapFlow>();

/**
 * Sorted, distinct UIDs of `set` (an IMAP UID set such as "5:*" or "3,9") that `keep` accepts,
 * optionally only mail since `since` (a day, as IMAP SEARCH SINCE compares).
 */
export async function searchUids(
  client: ImapFlow,
  set: string,
  keep: (uid: number) => boolean,
  since: Date | null = null,
): Promise<number[]> {
  const dated = since ? { since } : {};
  let res: number[] | false | undefined = false;
  if (!refusesRanges.has(client)) res = await client.search({ uid: set, ...dated }, { uid: true });
  if (res === false) {
    refusesRanges.add(client);
    res = await client.search(since ? dated : { all: true }, { uid: true });
  }
  if (res === false) throw new ProviderError('transient', 'IMAP server refused SEARCH');
  if (!Array.isArray(res)) throw new ProviderError('transient', 'IMAP connection lost in SEARCH');
  return [...new Set(res.filter(keep))].sort((a, b) => a - b);
}
