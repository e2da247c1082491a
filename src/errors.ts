// One error vocabulary for the whole service. Every error a client can see has a stable `code`
// (documented in openapi.yaml through the Problem schema) and an HTTP status. Messages for 4xx are
// written for the caller; 5xx never carry details out of the process (see http/plugins/errors.ts).

export const errorCodes = {
  // 4xx — caller's fault, safe to describe
  validation_failed: 400,
  /** A consent return_url whose origin the tenant has not registered (PUT /v1/return-origins). */
  return_url_not_registered: 400,
  bad_request: 400,
  header_injection: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_conflict: 409,
  /** The tenant already holds the most API keys allowed. */
  api_key_limit: 409,
  /** 409 while the scan is pending, 403 once infected. */
  attachment_not_clean: 409,
  original_not_clean: 409,
  /** The mailbox's grant no longer includes sending (the user removed the scope); re-consent fixes it. */
  mailbox_send_not_granted: 409,
  /** A subject-request export already downloaded (410), expired (410) or not ready yet (409). */
  export_unavailable: 410,
  mailbox_data_destroyed: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  /** An import-only mailbox, or one being disconnected. */
  mailbox_cannot_send: 422,
  /** IMAP/SMTP settings refused when they are entered (src/providers/imap/imap-verify.ts). */
  imap_auth_failed: 422,
  imap_tls_failed: 422,
  imap_unreachable: 422,
  imap_folder_missing: 422,
  smtp_auth_failed: 422,
  smtp_tls_failed: 422,
  smtp_unreachable: 422,
  imap_starttls_unavailable: 422,
  smtp_starttls_unavailable: 422,
  /** A plain-text mail server while MAIL_ALLOW_PLAINTEXT is off. */
  plaintext_not_allowed: 422,
  /** A tenant-given mail server the egress guard refuses (src/net/egress-guard.ts). */
  mail_server_unreachable: 422,
  /** A webhook URL the egress guard refuses. */
  url_not_allowed: 422,
  /** Why a message was parked at ingest (also recorded on the parked record). */
  message_too_large: 422,
  message_limit_exceeded: 422,
  prepare_timeout: 422,
  prepare_out_of_memory: 422,
  rate_limited: 429,
  // 5xx — our fault or a dependency's; details stay in the logs
  internal: 500,
  /** A caller inside the process broke an API contract (a page mixing mailboxes). */
  invalid_request: 500,
  prepare_crashed: 500,
  decryption_failed: 500,
  provider_not_configured: 501,
  /** A mailbox provider failed, by class (src/providers/provider-errors.ts). */
  provider_auth_revoked: 502,
  provider_cursor_expired: 502,
  provider_permanent: 502,
  provider_rate_limited: 503,
  provider_transient: 503,
  not_ready: 503,
  dependency_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof errorCodes;

export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(errorCodes, code);

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra, non-sensitive members added to the problem document (e.g. `errors` for validation). */
  readonly extra: Record<string, unknown> | undefined;

  /** `status` overrides the code's usual status where one code covers two cases. */
  constructor(code: ErrorCode, message: string, extra?: Record<string, unknown>, status?: number) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status ?? errorCodes[code];
    this.extra = extra;
  }
}

export const notFound = (what = 'resource') =>
  new AppError('not_found', `The ${what} does not exist.`);

/** RFC 9457 problem document as rendered on the wire. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  request_id?: string;
  [extra: string]: unknown;
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
