// The one interface every mailbox provider implements (IMAP, Gmail, Microsoft Graph). Callers —
// the sync job, the send job, the watch/renewal jobs — never branch on the provider kind: what differs
// lives behind these methods and inside the opaque cursor and push-channel values.
//
// Contract highlights:
// - Cursors are plain JSON the caller stores verbatim (jsonb) and hands back; only the provider that
//   made one reads it. Every listed item carries `cursorAfter`, the cursor that is safe to persist in
//   the same transaction that stores that item, so a crash never skips or doubles a message.
// - Providers never delete, move or mark mail as read unless their settings opt in.
// - Errors are thrown as ProviderError (see provider-errors.ts) so jobs can decide: retry, back off,
//   mark the mailbox for reconnection, or restart sync.

import type { ProviderKind } from './provider-kind.js';

export type { ProviderKind } from './provider-kind.js';

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Opaque, serialisable sync position. IMAP: UIDVALIDITY + last UID (+ backfill window);
 * Gmail: historyId (+ backfill page token); Graph: deltaLink / nextLink.
 */
export interface Cursor {
  readonly provider: ProviderKind;
  /** Format version of the provider's own fields, so a provider can migrate old cursors. */
  readonly v: number;
  readonly [field: string]: JsonValue;
}

export interface RemoteMessageRef {
  /** Stable id within the mailbox: IMAP `${uidValidity}:${uid}`, Gmail message id, Graph immutable id. */
  providerMessageId: string;
  /** Provider thread id (Gmail threadId, Graph conversationId); null for IMAP. */
  threadId: string | null;
  /** RFC 5322 Message-ID when the listing reveals it cheaply (IMAP envelope, Graph $select); lets a
   *  sync skip fetching a message this mailbox already holds under another id (sync/already-held.ts). Null when unknown. */
  rfcMessageId: string | null;
  internalDate: Date | null;
  size: number | null;
  /** Cursor to persist together with this message (covers this item and every earlier one). */
  cursorAfter: Cursor;
}

/**
 * What fetching one listed message brings: its bytes; null when it no longer exists; 'too_large'
 * when the server started sending more bytes than any message Inlet keeps although its listed size
 * was under the limit (an IMAP server whose RFC822.SIZE is short of its FETCH literal). A
 * 'too_large' message is parked unfetched like one listed as too large: fetching it again would
 * fail the same way on every retry and hold the mailbox's sync at it.
 */
export type FetchedRaw = Buffer | null | 'too_large';

/**
 * The header block of a message that is not downloaded (over the size limit): what a ticket stub
 * needs to show who wrote and to thread (From, Subject, Message-ID, In-Reply-To, References), and
 * never a byte of the body. `header` holds RFC 5322 header lines, at most HEADER_FETCH_BYTES of
 * them; `size` is the message's size when the provider tells it here, else null.
 */
export interface FetchedHeaders {
  header: Buffer;
  size: number | null;
}

/** A header block is rarely above a few KiB; one longer than this is cut (a hostile or broken one
 *  must not cost what the size limit was there to spare). */
export const HEADER_FETCH_BYTES = 64 * 1024;

export interface BackfillLimits {
  /** Only messages received within this many days (null/undefined = no age limit). */
  days?: number | null;
  /** At most this many of the newest messages (null/undefined = no count limit). */
  maxMessages?: number | null;
}

export interface ListChangesOptions {
  /** Applied when there is no cursor, or the old one can no longer be used (resync). */
  backfill: BackfillLimits;
  /** Upper bound on items per call; a call may return fewer and still not be done. */
  pageSize: number;
}

export type ResyncReason = 'cursor_expired' | 'uidvalidity_changed';

export interface ListChangesResult {
  /** New inbound messages, oldest first. */
  items: RemoteMessageRef[];
  /** Cursor after this whole page; persist it (even with zero items) once the items are stored. */
  nextCursor: Cursor;
  /** False: call again with nextCursor right away (more pages or backfill left). */
  done: boolean;
  /** Set when the stored cursor was unusable and this page starts a fresh bounded backfill; items may
   *  repeat messages already stored (dedupe by Message-ID hash). */
  resync?: ResyncReason;
  /** Backfill progress, for the mailbox status shown to users; total null when the provider cannot tell. */
  progress?: { done: number; total: number | null };
  /**
   * Every item comes after the stored cursor, which moves only with the messages it covers, so
   * (barring a crash inside one provider record) none is on record yet: the sync downloads them
   * without first asking the database which it holds. The pipeline still drops any it does hold.
   */
  newOnly?: boolean;
}

export interface SendMeta {
  /** The Message-ID header value inside `mime`, with angle brackets. */
  messageId: string;
  /** Provider thread to join (Gmail threadId, Graph conversationId); ignored by IMAP/SMTP. */
  threadId?: string | null;
  /** providerMessageId of the inbound message being answered (Graph reply endpoints); optional. */
  inReplyToProviderMessageId?: string | null;
  /** The point of no return: a provider awaits this right before the message's bytes leave (after
   *  the SMTP server answered DATA, before the HTTP send request). If it throws, nothing is sent.
   *  The send job records it, so after a crash it knows whether the mail may have left. */
  onTransmit: () => Promise<void>;
}

export interface SendResult {
  /** Provider id of the sent copy when the provider tells (Gmail message id); null for IMAP/SMTP and Graph sendMail. */
  providerMessageId: string | null;
  /** Whether a copy now sits in the mailbox's Sent folder (server-side or by our APPEND). */
  savedToSent: boolean;
}

/** A server-side push registration (Gmail users.watch, Graph subscription). Stored as JSON. */
export interface PushChannel {
  provider: ProviderKind;
  /** Subscription id (Graph) or a synthetic id (Gmail, one watch per mailbox). */
  id: string;
  /** ISO time after which the provider stops notifying; renew well before. */
  expiresAt: string;
  /** Provider-private data (Graph clientState reference, Gmail watch historyId, resource path). */
  data: { [key: string]: JsonValue };
}

export interface PushStartRequest {
  /** Graph: HTTPS notification URL. */
  notificationUrl?: string;
  /** Graph: lifecycle notification URL (can only be set on create). */
  lifecycleNotificationUrl?: string;
  /** Graph: secret echoed in every notification (<= 128 chars). */
  clientState?: string;
  /** Gmail: Pub/Sub topic `projects/<p>/topics/<t>`. */
  topicName?: string;
}

export interface MailProvider {
  readonly kind: ProviderKind;
  /** How new mail is announced: a held connection (IMAP IDLE → `watch`), a server-side channel
   *  (Gmail/Graph → `startPush`/`renewPush`/`stopPush`), or polling only. */
  readonly pushMode: 'connection' | 'channel' | 'poll';

  /** Logs in and checks that the configured folder exists; returns the mailbox address. Throws
   *  AppError 422 codes (e.g. imap_auth_failed) meant for the user who entered the settings. */
  verify(): Promise<{ address: string }>;

  listChanges(cursor: Cursor | null, opts: ListChangesOptions): Promise<ListChangesResult>;

  /** Raw RFC 5322 bytes exactly as the provider holds them; null when the message no longer exists
   *  (deleted between listing and fetching) — the caller records a skip; 'too_large' when the
   *  server sent more than any message Inlet keeps (see FetchedRaw). */
  fetchRaw(ref: Pick<RemoteMessageRef, 'providerMessageId'>): Promise<FetchedRaw>;

  /** Several listed messages in one request (IMAP: one UID FETCH); each id maps to what fetchRaw
   *  would return. Optional: callers fall back to fetchRaw one by one. The caller bounds the batch
   *  by count and listed size. */
  fetchRawMany?(
    refs: Pick<RemoteMessageRef, 'providerMessageId'>[],
  ): Promise<Map<string, FetchedRaw>>;

  /** Header-only fetch of a message left undownloaded as too large (FetchedHeaders); null when it
   *  no longer exists. Optional: without it the stub holds what the listing gave. */
  fetchHeaders?(ref: Pick<RemoteMessageRef, 'providerMessageId'>): Promise<FetchedHeaders | null>;

  /** Submits fully composed MIME (Bcc recipients are taken from the Bcc header and not transmitted). */
  send(mime: Buffer, meta: SendMeta): Promise<SendResult>;

  /** Whether a message with this Message-ID is already in Sent — lets the send job tell "sent but not
   *  recorded" from "never sent" after a crash, so a reply is not sent twice. */
  findSentByMessageId(messageId: string): Promise<boolean>;

  /** pushMode 'connection': holds a connection and calls onChange when mail may have arrived (and once
   *  after every (re)connect, since notifications during downtime are lost). Reconnects with backoff;
   *  resolves when `signal` aborts; rejects with ProviderError 'auth_revoked' when the login is refused. */
  watch?(onChange: () => void, signal: AbortSignal): Promise<void>;

  /** pushMode 'channel': create (or for Gmail, re-issue) the channel. */
  startPush?(req: PushStartRequest): Promise<PushChannel>;
  /** pushMode 'channel': extend the channel's lifetime; may return a new channel (recreated). */
  renewPush?(channel: PushChannel): Promise<PushChannel>;
  /** Stop notifications (disconnect). Idempotent: an already-gone channel is not an error. */
  stopPush?(channel: PushChannel): Promise<void>;

  /** Revoke the provider grant on disconnect (OAuth providers). Absent for password-based IMAP.
   *  'not_revocable': the provider has no revoke for this grant; the provider cleared the tokens it held. */
  revoke?(): Promise<void | 'not_revocable'>;

  /** Releases connections held for this instance. Safe to call more than once. */
  close(): Promise<void>;
}

/** Signature of each provider's make-function, for the registry (Record<ProviderKind, factory>). */
export type MailProviderFactory<S> = (settings: S, deps: ProviderDeps) => MailProvider;

/** What every provider factory receives besides its settings. OAuth providers add their own token
 *  source to it (refresh + persist the rotated grant); IMAP needs nothing more. */
export interface ProviderDeps {
  logger?: ProviderLogger;
}

/** The subset of pino the providers use; never pass secrets or mail content to it. */
export interface ProviderLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
