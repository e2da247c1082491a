// Types shared by the pure ingest stages (parse → classify → …). No I/O here: the pipeline owns
// the database and the transaction; these describe what one raw message turns into.

export interface Address {
  /** Display name decoded to UTF-8 (RFC 2047 and 8-bit headers), trimmed; '' when absent. */
  name: string;
  /** addr-spec, trimmed, domain lowercased (the local part keeps its case: it may be significant). */
  address: string;
}

export interface ParsedAttachment {
  /** Sanitised display name (see attachments-meta.ts); never a storage path. */
  filename: string;
  /** Content-Type the sender declared, lowercased, without parameters. */
  declaredType: string;
  /** Type recognised from the magic bytes; 'application/octet-stream' when unknown. */
  sniffedType: string;
  size: number;
  sha256: string;
  /** Content-ID without angle brackets, or null. */
  contentId: string | null;
  /** Shown inside the body (related/inline image) rather than listed as a file. */
  inline: boolean;
  content: Buffer;
  /** e.g. 'dangerous_type', 'filename_rtlo', 'double_extension', 'type_mismatch', 'filename_changed'. */
  flags: string[];
}

export interface ParsedMessage {
  /** Message-ID without the angle brackets, or null when missing/empty. */
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  from: Address | null;
  sender: Address | null;
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  /** Delivered-To and X-Original-To addresses, lowercased, in header order. */
  deliveredTo: string[];
  subject: string;
  date: Date | null;
  /**
   * Lowercase header name → decoded values in header order. Holds only what later stages need:
   * threading, auto-reply/bounce/list markers, Inlet's own X-Inlet-* headers, Authentication-Results.
   */
  headers: Map<string, string[]>;
  /** The text/plain body (parts joined), or null when the message has none. Never derived from HTML. */
  text: string | null;
  /** The raw (unsanitised!) text/html body, or null. Sanitising is a later stage. */
  html: string | null;
  /** Text rendered from the sanitised HTML when the message has no text part (set by prepare, which drops `html`). */
  htmlText?: string | null;
  attachments: ParsedAttachment[];
  /** Top-level Content-Type is multipart/report (report-type is in headers['content-type']). */
  isMultipartReport: boolean;
  reportParts: { deliveryStatus: string | null; originalHeaders: string | null };
  /** e.g. 'charset_fallback', 'date_invalid', 'date_missing', 'limit_exceeded:parts'. */
  warnings: string[];
}

export interface IngestLimits {
  maxMessageBytes: number;
  maxParts: number;
  maxDepth: number;
  maxHeaderBytes: number;
}

export const defaultIngestLimits: Readonly<IngestLimits> = Object.freeze({
  maxMessageBytes: 50 * 1024 * 1024,
  maxParts: 500,
  maxDepth: 30,
  maxHeaderBytes: 1024 * 1024,
});

export type MessageKind = 'human' | 'auto_reply' | 'bounce' | 'own_echo';

export interface BounceRecipient {
  address: string;
  action: string | null;
  status: string | null;
  /** Permanent failure: status 5.x.x (or an SMTP 5xx reply when no status was given). */
  hard: boolean;
  /** The remote server's words (DSN Diagnostic-Code), capped at 500 characters; null when none. */
  diagnostic: string | null;
}

export interface BounceInfo {
  originalMessageId: string | null;
  recipients: BounceRecipient[];
}

export interface Classification {
  kind: MessageKind;
  /** Machine-readable reasons, e.g. 'auto_submitted:auto-replied', 'multipart_report', 'own_message_id'. */
  reasons: string[];
  bounce?: BounceInfo;
}

export interface ClassifyContext {
  /** The connected mailbox addresses (and aliases) of this tenant; compared case-insensitively. */
  ownAddresses: string[];
  /** True when a Message-ID verifies as one Inlet generated (HMAC-signed) for this tenant. */
  isOwnMessageId: (id: string) => boolean;
}
