import { AppError } from '../errors.js';

// Every crypto failure a caller can observe is one of these. The wire code is always
// 'decryption_failed' (a 500: the caller did nothing wrong, and details never leave the process).
// Messages are fixed strings chosen here — never built from key bytes, plaintext or ciphertext —
// so logging the error is always safe. `reason` is a short machine-readable hint for logs/metrics.

export type CryptoFailureReason =
  | 'malformed'
  | 'unsupported_version'
  | 'unsupported_algorithm'
  | 'wrong_key'
  | 'authentication_failed'
  | 'missing_key';

export class CryptoError extends AppError {
  readonly reason: CryptoFailureReason;

  constructor(
    reason: CryptoFailureReason = 'authentication_failed',
    message = 'The value could not be decrypted.',
  ) {
    super('decryption_failed', message);
    this.name = 'CryptoError';
    this.reason = reason;
  }
}

/**
 * The key id a value (or wrapped key) names is not in the keyring: a retired KEK, or a data key
 * that was destroyed (crypto-shredded). Key ids are identifiers, not key material, so the id is kept
 * for operators; it is validated to a safe alphabet before it ever gets here.
 */
export class MissingKeyError extends CryptoError {
  readonly keyId: string;

  constructor(keyId: string) {
    const safeId = /^[A-Za-z0-9_-]{1,64}$/.test(keyId) ? keyId : '(invalid id)';
    super('missing_key', `The key "${safeId}" needed to decrypt this value is not in the keyring.`);
    this.name = 'MissingKeyError';
    this.keyId = safeId;
  }
}

export function isCryptoError(e: unknown): e is CryptoError {
  return e instanceof CryptoError;
}
