// Stores a page of prepared messages inside one tenant transaction, as if they had been stored one
// after another: message k sees everything messages 1..k-1 wrote (a reply joins the ticket its
// original opened two lines earlier; the same Message-ID twice is stored once; a sender's burst is
// counted towards the loop threshold). `opened` is what the transaction's BEGIN read (ingestOpening:
// the keys and the share-locked mailbox status). The database is asked once for the whole page (lookupPage);
// page-decide.ts decides every message from that answer without I/O, and page-write.ts seals and
// inserts the result, each kind of row as one statement.
import { randomUUID } from 'node:crypto';

import { attachmentDigest, verifyOutboundMessageId } from '../crypto/index.js';
import type { ProviderKind } from '../providers/provider-kind.js';
import type { Executor } from '../store/db.js';
import { assertTakesMail, type IngestOpeningRow, lockDedupeKeys } from '../store/inbound-store.js';
import { lookupPage } from '../store/page-lookup-store.js';
import type { KeyService } from '../tenancy/key-service.js';
import { dedupeLockIds } from './dedupe-key.js';
import type { IngestOutcome, PageItem } from './ingest-types.js';
import { decidePage } from './page-decide.js';
import { makeIndexer } from './page-indexer.js';
import { keyPage, pageLookupInput } from './page-keys.js';
import { openTickets, type PageWriter, writePage } from './page-write.js';
import { type AuthservTrust, trustNothing } from './stages/sender-auth.js';

/** Whose Authentication-Results a kind of mailbox trusts (each provider module says). */
export type TrustFor = (kind: ProviderKind) => AuthservTrust;

export async function storePage(
  keys: KeyService,
  ex: Executor,
  tenantId: string,
  mailboxId: string,
  items: PageItem[],
  cursor: unknown,
  opened: IngestOpeningRow[],
  trustFor: TrustFor,
): Promise<IngestOutcome[]> {
  assertTakesMail(opened[0]?.mailbox_status ?? null);
  const k = await keys.ingestKeys(opened);
  const signingKey = k.signing.key;
  const index = makeIndexer(k.index.key);
  const keyed = keyPage(items, index, k.index.key);
  await lockDedupeKeys(ex, dedupeLockIds(keyed.map((m) => m.dedupeBidx)));
  const lookup = await lookupPage(ex, pageLookupInput(tenantId, mailboxId, keyed, new Date()));

  const writer: PageWriter = {
    ex,
    tenantId,
    mailboxId,
    dek: k.mailbox,
    digest: (sha) => attachmentDigest(k.index.key, sha),
  };
  const decide = decidePage({
    mailboxId,
    keyed,
    lookup,
    delivered: lookup.delivered,
    index,
    isOwnMessageId: (id) => verifyOutboundMessageId(signingKey, tenantId, id) !== null,
    newId: randomUUID,
    trust: opened[0]?.provider ? trustFor(opened[0].provider) : trustNothing,
  });
  // Tickets opened while deciding are inserted when a later message's subject token needs their numbers.
  const numbers = new Map<string, number>();
  let step = decide.next();
  while (!step.done) {
    const made = await openTickets(writer, step.value);
    for (const [id, n] of made) numbers.set(id, n);
    step = decide.next(made);
  }
  const plan = step.value;
  await writePage(writer, plan, numbers, cursor);
  return plan.outcomes;
}
