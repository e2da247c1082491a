// Downloads of stored content: the original .eml chunk by chunk and attachment bytes, the latter
// only after ClamAV said clean. Every download is audited.
import { CryptoError, fieldAad, open } from '../crypto/index.js';
import { AppError, notFound } from '../errors.js';
import { findAttachment } from '../store/attachment-store.js';
import type { Db, Executor } from '../store/db.js';
import { checkRawChunks, findStoredRaw, type RawRef, readRawChunk } from '../store/raw-store.js';
import type { Actor } from '../tenancy/actor.js';
import { audit } from '../tenancy/audit.js';
import type { KeyService } from '../tenancy/key-service.js';
import { assertOriginalServable } from './original-rule.js';
import { attachmentView } from './ticket-views.js';

export interface RawMessage {
  /** Bytes in all chunks together. */
  size: number;
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>;
}

export interface TicketContent {
  /** The original .eml: its size, then its bytes chunk by chunk (authenticated, audited when the first is). */
  rawMessage(actor: Actor, messageId: string): Promise<RawMessage>;
  attachmentContent(
    actor: Actor,
    id: string,
  ): Promise<{ filename: string; contentType: string; content: Buffer }>;
}

const incomplete = () =>
  new CryptoError('malformed', 'The stored original message is incomplete or out of order.');

export function makeTicketContent(deps: { db: Db; keys: KeyService }): TicketContent {
  const { db, keys } = deps;
  const mailboxKey = (ex: Executor, actor: Actor, mailboxId: string) =>
    keys.mailboxKey(ex, actor.tenantId, mailboxId);

  /**
   * The rest of a chunked original, each chunk read in its own short transaction: a download to a
   * slow client holds no connection while it waits, and a mailbox disconnected meanwhile (key
   * destroyed) stops it. Every chunk is authenticated before it is yielded; one that fails ends the
   * stream with a CryptoError (the HTTP response is then cut short of its Content-Length).
   */
  async function* laterChunks(actor: Actor, ref: RawRef, first: Buffer): AsyncGenerator<Buffer> {
    let total = first.length;
    yield first;
    for (let seq = 1; seq < ref.chunks; seq++) {
      const chunk = await db.tenantTx(actor.tenantId, async (ex) =>
        readRawChunk(ex, await mailboxKey(ex, actor, ref.mailboxId), ref, seq),
      );
      total += chunk.length;
      if (total > ref.size) throw incomplete();
      yield chunk;
    }
    if (total !== ref.size) throw incomplete();
  }

  return {
    rawMessage: async (actor, messageId) => {
      const first = await db.tenantTx(actor.tenantId, async (ex) => {
        const stored = await findStoredRaw(ex, actor.tenantId, messageId);
        if (!stored) throw notFound('message');
        if (stored.kind === 'none')
          throw new AppError('not_found', 'No original is stored for this message.');
        // Key first: a disconnected mailbox answers 410 whatever its scan states were.
        const dek = await mailboxKey(ex, actor, stored.mailboxId);
        await assertOriginalServable(ex, actor.tenantId, messageId, stored.warnings);
        let opened: { ref: RawRef | null; chunk: Buffer };
        if (stored.kind === 'legacy') {
          opened = { ref: null, chunk: open(dek, stored.ct, stored.aad) };
        } else {
          // A damaged original is refused before the response starts: the layout is checked against
          // the stored chunks, and the first chunk's tag authenticates the count and total size.
          await checkRawChunks(ex, stored.ref);
          opened = { ref: stored.ref, chunk: await readRawChunk(ex, dek, stored.ref, 0) };
        }
        await audit(ex, actor, 'message.read_raw', 'message', messageId);
        return opened;
      });
      if (!first.ref) return { size: first.chunk.length, chunks: [first.chunk] };
      return { size: first.ref.size, chunks: laterChunks(actor, first.ref, first.chunk) };
    },

    attachmentContent: (actor, id) =>
      db.tenantTx(actor.tenantId, async (ex) => {
        const a = await findAttachment(ex, actor.tenantId, id);
        if (!a) throw notFound('attachment');
        if (a.scan_status !== 'clean') {
          // Metadata stays visible on the message; the bytes are never served without a clean verdict.
          throw new AppError(
            'attachment_not_clean',
            `This attachment is ${a.scan_status.replace('_', ' ')} and cannot be downloaded.`,
            { scan_status: a.scan_status },
            a.scan_status === 'pending' ? 409 : 403,
          );
        }
        const dek = await mailboxKey(ex, actor, a.mailbox_id);
        const view = attachmentView(a, dek);
        const content = open(
          dek,
          a.content_ct,
          fieldAad('attachments.content', actor.tenantId, a.mailbox_id, a.id),
        );
        await audit(ex, actor, 'attachment.download', 'attachment', id);
        return { filename: view.filename, contentType: a.sniffed_type, content };
      }),
  };
}
