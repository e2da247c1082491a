// Blind indexes for one page of messages, each input hashed once. A sender is indexed as From, as
// the subject-token sender, as a participant and as a requester; the Message-IDs of a thread come
// back in every reply's References, and threading looks each of them up twice. Scoped to one page
// (one tenant's index key), so nothing outlives the transaction.
import { emailBlindIndex, messageIdBlindIndex } from '../crypto/index.js';

export interface Indexer {
  email(address: string): Buffer;
  messageId(id: string): Buffer;
}

export function makeIndexer(indexKey: Buffer): Indexer {
  const emails = new Map<string, Buffer>();
  const ids = new Map<string, Buffer>();
  const memo = (cache: Map<string, Buffer>, f: (k: Buffer, v: string) => Buffer) => (v: string) => {
    let b = cache.get(v);
    if (!b) cache.set(v, (b = f(indexKey, v)));
    return b;
  };
  return { email: memo(emails, emailBlindIndex), messageId: memo(ids, messageIdBlindIndex) };
}
