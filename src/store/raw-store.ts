// A message's original MIME (the .eml), stored as a sequence of separately sealed chunks in
// message_raw_chunks (migration 0009), so that neither writing nor reading a large message ever holds
// its whole ciphertext, or a whole-size protocol buffer of the driver, in memory.
//
// Every new message uses chunks, small ones too (one chunk): one representation for writers and
// readers, one set of tamper checks, and the message row stays small. The cost for a small message
// is one extra row, written in a statement shared with the rest of its page. messages.raw_ct holds
// the single sealed value of rows written before 0009; readers accept both (see findStoredRaw).
//
// Integrity: the row records the layout (raw_size, raw_chunks), and each chunk is sealed with
//   field 'messages.raw_chunk', rowId '<message id>/<index>/<chunk count>/<total bytes>'
// so a chunk moved to another message or index, a changed count or total, a swapped pair, a
// missing or an extra chunk all fail: the layout is checked against the rows before any chunk is
// read (missing, extra, resized), and each chunk's tag binds its place (swapped, reordered, edited).
import {
  type Aad,
  CryptoError,
  type DataKey,
  ENVELOPE_OVERHEAD,
  open,
  seal,
} from '../crypto/index.js';
import type { Executor } from './db.js';

/** Plaintext bytes per chunk: large enough that a 25 MB message is 25 statements, small enough to be noise in memory. */
export const rawChunkBytes = 1024 * 1024;
/** A statement carries at most one chunk's worth of plaintext (sealed), or this many small chunks. */
const statementRows = 64;

export interface RawLayout {
  /** Plaintext bytes of the whole original. */
  size: number;
  chunks: number;
}

/** Where one message's chunked original lives; everything its chunks' additional data binds. */
export interface RawRef extends RawLayout {
  tenantId: string;
  mailboxId: string;
  messageId: string;
}

export function rawLayout(size: number): RawLayout {
  return { size, chunks: Math.max(1, Math.ceil(size / rawChunkBytes)) };
}

export function rawChunkAad(ref: RawRef, seq: number): Aad {
  return {
    tenantId: ref.tenantId,
    scope: ref.mailboxId,
    field: 'messages.raw_chunk',
    rowId: `${ref.messageId}/${seq}/${ref.chunks}/${ref.size}`,
  };
}

/** The AAD of a pre-0009 original sealed whole in messages.raw_ct. */
export function legacyRawAad(tenantId: string, mailboxId: string, messageId: string): Aad {
  return { tenantId, scope: mailboxId, field: 'messages.raw', rowId: messageId };
}

/**
 * Seals and inserts the originals of messages whose rows (with rawLayout(raw.length)) are already
 * inserted. Chunk by chunk: a sealed chunk lives until its statement has been sent, so the memory
 * this takes does not grow with the message.
 */
export async function storeRaw(
  ex: Executor,
  dek: DataKey,
  list: { ref: RawRef; raw: Buffer }[],
): Promise<void> {
  let batch: RawChunkRow[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    bytes = 0;
    await insertRawChunks(ex, rows);
  };
  for (const { ref, raw } of list) {
    const expected = rawLayout(raw.length);
    if (expected.size !== ref.size || expected.chunks !== ref.chunks)
      throw new Error('raw layout does not match the bytes');
    for (let seq = 0; seq < ref.chunks; seq++) {
      const plain = raw.subarray(
        seq * rawChunkBytes,
        Math.min((seq + 1) * rawChunkBytes, raw.length),
      );
      if (bytes > 0 && bytes + plain.length > rawChunkBytes) await flush();
      const ct = seal(dek, plain, rawChunkAad(ref, seq));
      batch.push({ tenantId: ref.tenantId, messageId: ref.messageId, seq, ct });
      bytes += plain.length;
      if (batch.length >= statementRows) await flush();
    }
  }
  await flush();
}

export interface RawChunkRow {
  tenantId: string;
  messageId: string;
  seq: number;
  ct: Buffer;
}

/**
 * A page's originals sealed at once when together they are no more than one statement's worth (one
 * chunk each, rawChunkBytes in all, statementRows rows), so they go in with the messages' own
 * insert (inbound-store.ts insertInbound): a pushed message's page is one statement shorter. Null
 * when they are more: storeRaw then seals and inserts them piece by piece, as for a large message.
 */
export function sealSmallRaws(
  dek: DataKey,
  list: { ref: RawRef; raw: Buffer }[],
): RawChunkRow[] | null {
  let bytes = 0;
  for (const { raw } of list) bytes += raw.length;
  if (list.length > statementRows || bytes > rawChunkBytes) return null;
  return list.map(({ ref, raw }) => {
    const expected = rawLayout(raw.length);
    if (expected.size !== ref.size || expected.chunks !== 1)
      throw new Error('raw layout does not match the bytes');
    return {
      tenantId: ref.tenantId,
      messageId: ref.messageId,
      seq: 0,
      ct: seal(dek, raw, rawChunkAad(ref, 0)),
    };
  });
}

/** The VALUES rows of message_raw_chunks for `rows`, their parameters pushed onto `params`. */
export function rawChunkValues(rows: RawChunkRow[], params: unknown[]): string[] {
  // The ciphertext is each row's last parameter: pg copies parameters into one buffer that grows by
  // reallocating, and a large value followed by nothing more is copied once.
  return rows.map((r) => {
    const at = params.push(r.tenantId, r.messageId, r.seq, r.ct) - 3;
    return `($${at}::uuid, $${at + 1}::uuid, $${at + 2}::int, $${at + 3}::bytea)`;
  });
}

async function insertRawChunks(ex: Executor, rows: RawChunkRow[]): Promise<void> {
  const params: unknown[] = [];
  const values = rawChunkValues(rows, params);
  await ex.query({
    name: rows.length <= 4 ? `inlet-insert-raw-chunks-${rows.length}` : undefined,
    text: `INSERT INTO message_raw_chunks (tenant_id, message_id, seq, chunk_ct) VALUES ${values.join(', ')}`,
    values: params,
  });
}

export type StoredRaw =
  { kind: 'chunks'; ref: RawRef } | { kind: 'legacy'; ct: Buffer; aad: Aad } | { kind: 'none' };

/** How a message's original is stored; null when the message does not exist (for this tenant). */
export async function findStoredRaw(
  ex: Executor,
  tenantId: string,
  messageId: string,
): Promise<({ mailboxId: string; warnings: string[] } & StoredRaw) | null> {
  const { rows } = await ex.query<{
    mailbox_id: string;
    raw_ct: Buffer | null;
    raw_size: string | null;
    raw_chunks: number | null;
    warnings: string[];
  }>({
    name: 'inlet-find-stored-raw-w',
    text: 'SELECT mailbox_id, raw_ct, raw_size, raw_chunks, warnings FROM messages WHERE tenant_id = $1 AND id = $2',
    values: [tenantId, messageId],
  });
  const r = rows[0];
  if (!r) return null;
  const mailboxId = r.mailbox_id;
  const warnings = r.warnings;
  if (r.raw_size !== null && r.raw_chunks !== null) {
    return {
      mailboxId,
      warnings,
      kind: 'chunks',
      ref: { tenantId, mailboxId, messageId, size: Number(r.raw_size), chunks: r.raw_chunks },
    };
  }
  if (r.raw_ct)
    return {
      mailboxId,
      warnings,
      kind: 'legacy',
      ct: r.raw_ct,
      aad: legacyRawAad(tenantId, mailboxId, messageId),
    };
  return { mailboxId, warnings, kind: 'none' };
}

const incomplete = () =>
  new CryptoError('malformed', 'The stored original message is incomplete or out of order.');

/**
 * Checks the chunk rows against the layout the message row records, from sizes alone (no chunk
 * is read): exactly indexes 0..n-1, and as many ciphertext bytes as the total needs. Lets a reader
 * refuse a damaged original before it sends its first byte.
 */
export async function checkRawChunks(ex: Executor, ref: RawRef): Promise<void> {
  const { rows } = await ex.query<{
    n: number;
    lo: number | null;
    hi: number | null;
    bytes: string | null;
  }>({
    name: 'inlet-check-raw-chunks',
    text: `SELECT count(*)::int AS n, min(seq) AS lo, max(seq) AS hi, sum(octet_length(chunk_ct))::bigint AS bytes
       FROM message_raw_chunks WHERE tenant_id = $1 AND message_id = $2`,
    values: [ref.tenantId, ref.messageId],
  });
  const r = rows[0]!;
  if (
    r.n !== ref.chunks ||
    r.lo !== 0 ||
    r.hi !== ref.chunks - 1 ||
    Number(r.bytes) !== ref.size + ref.chunks * ENVELOPE_OVERHEAD
  )
    throw incomplete();
}

/** Chunk `seq`, opened (its tag checked against its place in the message) — a CryptoError otherwise. */
export async function readRawChunk(
  ex: Executor,
  dek: DataKey,
  ref: RawRef,
  seq: number,
): Promise<Buffer> {
  const { rows } = await ex.query<{ chunk_ct: Buffer }>({
    name: 'inlet-read-raw-chunk',
    text: 'SELECT chunk_ct FROM message_raw_chunks WHERE tenant_id = $1 AND message_id = $2 AND seq = $3',
    values: [ref.tenantId, ref.messageId, seq],
  });
  const ct = rows[0]?.chunk_ct;
  if (!ct) throw incomplete();
  return open(dek, ct, rawChunkAad(ref, seq));
}

/** The whole original in one Buffer (a send needs it whole), read and opened chunk by chunk. */
export async function readRawWhole(ex: Executor, dek: DataKey, ref: RawRef): Promise<Buffer> {
  await checkRawChunks(ex, ref);
  const out = Buffer.allocUnsafe(ref.size);
  let at = 0;
  for (let seq = 0; seq < ref.chunks; seq++) {
    const chunk = await readRawChunk(ex, dek, ref, seq);
    if (at + chunk.length > ref.size) throw incomplete();
    at += chunk.copy(out, at);
  }
  if (at !== ref.size) throw incomplete();
  return out;
}
