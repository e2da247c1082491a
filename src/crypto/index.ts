// Inlet's cryptography: keyring of key-encryption keys, envelope encryption of stored values under
// data keys, blind indexes and signed outbound Message-IDs. node:crypto only; fails closed.
export { CryptoError, MissingKeyError, isCryptoError, type CryptoFailureReason } from './crypto-error.js';
export {
  dataKeyContext,
  formatKeyringSpec,
  generateKek,
  makeLocalKeyProvider,
  parseKeyringSpec,
  rewrapKey,
  type KeyProvider,
  type KeyringEntry,
  type WrappedKey,
} from './key-provider.js';
export {
  ALG_AES_256_GCM,
  ENVELOPE_HEADER_BYTES,
  ENVELOPE_OVERHEAD,
  ENVELOPE_VERSION,
  MAX_SEALS_PER_DATA_KEY,
  dataKeyIdOf,
  generateDataKey,
  open,
  openText,
  seal,
  type Aad,
  type DataKey,
} from './envelope.js';
export {
  BLIND_INDEX_DOMAINS,
  blindIndex,
  attachmentDigest,
  emailBlindIndex,
  messageIdBlindIndex,
  normaliseEmailAddress,
  normaliseMessageId,
} from './blind-index.js';
export { makeOutboundMessageId, verifyOutboundMessageId } from './message-id.js';
export { fieldAad, mailboxAad, sealedFields, type SealedField } from './sealed-fields.js';
