// Inlet's cryptography: keyring of key-encryption keys, envelope encryption of stored values under
// data keys, blind indexes and signed outbound Message-IDs. node:crypto only; fails closed.
export {
  attachmentDigest,
  BLIND_INDEX_DOMAINS,
  blindIndex,
  emailBlindIndex,
  messageIdBlindIndex,
  normaliseEmailAddress,
  normaliseMessageId,
} from './blind-index.js';
export {
  CryptoError,
  type CryptoFailureReason,
  isCryptoError,
  MissingKeyError,
} from './crypto-error.js';
export {
  type Aad,
  ALG_AES_256_GCM,
  type DataKey,
  dataKeyIdOf,
  ENVELOPE_HEADER_BYTES,
  ENVELOPE_OVERHEAD,
  ENVELOPE_VERSION,
  generateDataKey,
  MAX_SEALS_PER_DATA_KEY,
  open,
  openText,
  seal,
} from './envelope.js';
export {
  dataKeyContext,
  formatKeyringSpec,
  generateKek,
  type KeyProvider,
  type KeyringEntry,
  makeLocalKeyProvider,
  parseKeyringSpec,
  rewrapKey,
  type WrappedKey,
} from './key-provider.js';
export { makeOutboundMessageId, verifyOutboundMessageId } from './message-id.js';
export { fieldAad, mailboxAad, type SealedField, sealedFields } from './sealed-fields.js';
