// One error vocabulary for the whole service. Every error a client can see has a stable `code`
// (documented in openapi.yaml through the Problem schema) and an HTTP status. Messages for 4xx are
// written for the caller; 5xx never carry details out of the process (see http/plugins/errors.ts).

export const errorCodes = {
  // 4xx — caller's fault, safe to describe
  validation_failed: 400,
  bad_request: 400,
  header_injection: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_conflict: 409,
  original_not_clean: 409,
  mailbox_data_destroyed: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  // 5xx — our fault or a dependency's; details stay in the logs
  internal: 500,
  not_ready: 503,
  dependency_unavailable: 503,
  decryption_failed: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode | (string & {});
  readonly status: number;
  /** Extra, non-sensitive members added to the problem document (e.g. `errors` for validation). */
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, extra?: Record<string, unknown>);
  constructor(code: string, message: string, extra: Record<string, unknown> | undefined, status: number);
  constructor(code: string, message: string, extra?: Record<string, unknown>, status?: number) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status ?? errorCodes[code as ErrorCode] ?? 500;
    this.extra = extra;
  }
}

export const notFound = (what = 'resource') => new AppError('not_found', `The ${what} does not exist.`);

/** RFC 9457 problem document as rendered on the wire. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  request_id?: string;
  [extra: string]: unknown;
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
