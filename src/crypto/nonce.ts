import { randomFillSync } from 'node:crypto';

// AES-GCM nonces: 96 bits, uniformly random from the CSPRNG, each used once. Filling a small pool
// with one randomFillSync call and handing out consecutive 12-byte slices gives exactly the same
// distribution as randomBytes(12) per call (the bytes are the same CSPRNG output, each byte used
// once) while saving a native call per seal — the same trick Node uses for randomUUID(). The pool
// is module state, so every worker thread has its own, filled independently.
//
// Random 96-bit nonces bound how much one key may encrypt: NIST SP 800-38D caps it at 2^32
// invocations (see MAX_SEALS_PER_DATA_KEY in envelope.ts).

export const NONCE_BYTES = 12;
const POOL_NONCES = 512;
const pool = Buffer.allocUnsafeSlow(NONCE_BYTES * POOL_NONCES);
let next = pool.length; // empty: the first call fills it

/** Writes a fresh random nonce into `target` at `offset`. */
export function writeNonce(target: Buffer, offset: number): void {
  if (next + NONCE_BYTES > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  pool.copy(target, offset, next, next + NONCE_BYTES);
  // Wipe the slice handed out so no later bug could hand the same bytes out twice.
  pool.fill(0, next, next + NONCE_BYTES);
  next += NONCE_BYTES;
}
