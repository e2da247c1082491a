// Sending replies through Graph with the MIME Inlet built (docs/providers.md, Microsoft 365 facts:
// sending): our signed Message-ID, In-Reply-To and References travel in the MIME, which JSON
// sendMail could not carry (only x- headers). Up to Graph's 4 MB request limit: POST sendMail with
// the base64 MIME (text/plain); Exchange saves the copy in Sent Items. Larger: a draft from the
// MIME without its big attachments, the attachments added (upload sessions from 3 MB, in chunks
// under 4 MB), then send — needs Mail.ReadWrite, which is asked for only when
// MICROSOFT_LARGE_REPLIES is on. A POST is never retried here: the send job retries, after looking
// for our Message-ID in Sent Items (findGraphSent).
import type { SendMeta, SendResult } from '../mail-provider.js';
import { ProviderError, toProviderError } from '../provider-errors.js';
import { type GraphSession, noLibraryRetry } from './graph-session.js';
import { type SplitAttachment, splitForLimit } from './mime-split.js';

export const GRAPH_REQUEST_LIMIT = 4 * 1024 * 1024;
const UPLOAD_SESSION_MIN = 3 * 1024 * 1024;
/** Upload chunks: a multiple of 320 KiB, under the 4 MB per-request limit. */
const CHUNK = 320 * 1024 * 11;

export async function sendGraph(
  s: GraphSession,
  mime: Buffer,
  meta: SendMeta,
): Promise<SendResult> {
  const encoded = mime.toString('base64');
  if (encoded.length <= GRAPH_REQUEST_LIMIT) {
    await s.call(
      'graph sendMail',
      async (c) => {
        await meta.onTransmit();
        return c
          .api(`${s.base}/sendMail`)
          .header('Content-Type', 'text/plain')
          .middlewareOptions(noLibraryRetry())
          .post(encoded);
      },
      { retry: false },
    );
    return { providerMessageId: null, savedToSent: true };
  }
  if (!s.canDraft)
    throw new ProviderError(
      'permanent',
      'reply over 4 MB: Graph needs Mail.ReadWrite for draft uploads (MICROSOFT_LARGE_REPLIES)',
    );
  const split = splitForLimit(mime, GRAPH_REQUEST_LIMIT - 64 * 1024);
  if (!split)
    throw new ProviderError(
      'permanent',
      'reply over 4 MB whose body alone exceeds the Graph request limit',
    );
  const draft = await s.call(
    'graph messages.create',
    (c) =>
      c
        .api(`${s.base}/messages`)
        .header('Content-Type', 'text/plain')
        .header('Prefer', 'IdType="ImmutableId"')
        .middlewareOptions(noLibraryRetry())
        .post(split.mime.toString('base64')) as Promise<{ id: string }>,
    { retry: false },
  );
  for (const a of split.removed) await attach(s, draft.id, a);
  await s.call(
    'graph messages.send',
    async (c) => {
      await meta.onTransmit();
      return c
        .api(`${s.base}/messages/${encodeURIComponent(draft.id)}/send`)
        .middlewareOptions(noLibraryRetry())
        .post(null);
    },
    { retry: false },
  );
  return { providerMessageId: draft.id, savedToSent: true };
}

async function attach(s: GraphSession, draftId: string, a: SplitAttachment): Promise<void> {
  const path = `${s.base}/messages/${encodeURIComponent(draftId)}/attachments`;
  if (a.content.length < UPLOAD_SESSION_MIN) {
    await s.call(
      'graph attachments.add',
      (c) =>
        c
          .api(path)
          .middlewareOptions(noLibraryRetry())
          .post({
            '@odata.type': '#microsoft.graph.fileAttachment',
            name: a.name,
            contentType: a.contentType,
            contentBytes: a.content.toString('base64'),
          }),
      { retry: false },
    );
    return;
  }
  const session = await s.call(
    'graph attachments.createUploadSession',
    (c) =>
      c
        .api(`${path}/createUploadSession`)
        .middlewareOptions(noLibraryRetry())
        .post({
          AttachmentItem: {
            attachmentType: 'file',
            name: a.name,
            size: a.content.length,
            contentType: a.contentType,
          },
        }) as Promise<{ uploadUrl: string }>,
    { retry: false },
  );
  for (let from = 0; from < a.content.length; from += CHUNK) {
    const chunk = a.content.subarray(from, Math.min(from + CHUNK, a.content.length));
    // The upload URL is pre-authenticated: no Authorization header (Graph answers 401 to one).
    const res = await fetch(session.uploadUrl, {
      method: 'PUT',
      body: chunk,
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `bytes ${from}-${from + chunk.length - 1}/${a.content.length}`,
      },
    }).catch((err: unknown) => {
      throw toProviderError(err, 'graph attachment upload');
    });
    if (res.status !== 200 && res.status !== 201) {
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
      throw toProviderError(
        { statusCode: res.status, code: body.error?.code, headers: res.headers },
        'graph attachment upload',
      );
    }
    await res.arrayBuffer().catch(() => undefined);
  }
}

/** Our Message-ID in Sent Items (`$filter=internetMessageId eq '…'`): sent before a crash, not to be sent again. */
export async function findGraphSent(s: GraphSession, messageId: string): Promise<boolean> {
  const id = messageId.trim();
  if (!/^<[^\s<>"]+>$/.test(id)) return false;
  const res = await s.call(
    'graph sentitems.find',
    (c) =>
      c
        .api(`${s.base}/mailFolders/sentitems/messages`)
        .filter(`internetMessageId eq '${id.replace(/'/g, "''")}'`)
        .select('id')
        .top(1)
        .middlewareOptions(noLibraryRetry())
        .get() as Promise<{ value?: unknown[] }>,
  );
  return (res.value ?? []).length > 0;
}
