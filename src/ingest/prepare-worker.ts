// Worker-thread entry for isolated-prepare.ts: prepares one large message at a time, off the main
// thread, in an isolate the main thread can terminate. Attachment bytes go back as transferred
// ArrayBuffers (moved, not copied); everything else is structured-cloned.
import { parentPort } from 'node:worker_threads';

import { isAppError } from '../errors.js';
import { prepareMessage } from './prepare.js';
import type { IngestLimits } from './types.js';

export interface PrepareRequest {
  raw: Uint8Array;
  limits: IngestLimits;
}

export type PrepareReply =
  | { ready: true }
  | { ok: true; prepared: Awaited<ReturnType<typeof prepareMessage>> }
  | { ok: false; error: { code: string | null; message: string; status: number | null } };

if (!parentPort) throw new Error('prepare-worker.ts runs as a worker thread only');
const port = parentPort;

port.on('message', (req: PrepareRequest) => {
  const raw = Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength);
  prepareMessage(raw, req.limits).then(
    (prepared) => {
      // A Buffer may be a view into a shared pool; only whole ArrayBuffers can be moved. Small
      // ones are copied into their own, large ones usually own theirs already.
      // prepared.attachments and prepared.parsed.attachments are parallel lists over the same bytes.
      const transfer: ArrayBuffer[] = [];
      prepared.attachments.forEach((a, i) => {
        const own =
          a.content.byteOffset === 0 &&
          a.content.byteLength === a.content.buffer.byteLength &&
          a.content.buffer instanceof ArrayBuffer;
        // Not Buffer.from(): small copies come from Node's pool, which cannot be transferred.
        const content = own
          ? a.content
          : Buffer.from(
              a.content.buffer.slice(
                a.content.byteOffset,
                a.content.byteOffset + a.content.byteLength,
              ),
            );
        a.content = content;
        const parsed = prepared.parsed.attachments[i];
        if (parsed) parsed.content = content;
        if (!transfer.includes(content.buffer as ArrayBuffer))
          transfer.push(content.buffer as ArrayBuffer);
      });
      port.postMessage({ ok: true, prepared } satisfies PrepareReply, transfer);
    },
    (err: unknown) => {
      const error = isAppError(err)
        ? { code: err.code, message: err.message, status: err.status }
        : {
            code: null,
            message: err instanceof Error ? err.message : 'prepare failed',
            status: null,
          };
      port.postMessage({ ok: false, error } satisfies PrepareReply);
    },
  );
});

// Modules are loaded: the budget of the first message starts from here, not from thread start-up.
port.postMessage({ ready: true } satisfies PrepareReply);
