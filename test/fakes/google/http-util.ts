// Small node:http helpers shared by the Google fake's route files, plus builders for Google's error
// bodies (docs/providers.md, Gmail facts: errors) so every route answers with the same shapes.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

// Request bodies above Gmail's media ceiling (36,700,160 bytes; docs/providers.md, Gmail fake) are
// refused outright.
const MAX_BODY_BYTES = 36_700_160 * 2;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(
        413,
        googleErrorBody(
          413,
          'Request payload size exceeds the limit.',
          'uploadTooLarge',
          'INVALID_ARGUMENT',
        ),
      );
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, headers);
  res.end();
}

export function sendHtml(res: ServerResponse, status: number, title: string): void {
  const text = `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(text);
}

/** Query parameters as name → all values, because Google clients repeat keys for arrays
 *  (docs/providers.md, Gmail fake). */
export function queryParams(url: URL): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) {
    const list = out.get(k) ?? [];
    list.push(v);
    out.set(k, list);
  }
  return out;
}

export interface GoogleErrorItem {
  message: string;
  domain: string;
  reason: string;
  location?: string;
  locationType?: string;
}

/** `{"error":{"code","message","errors":[…],"status"}}` — Google's JSON API error shape
 *  (docs/providers.md, Gmail facts: errors). */
export function googleErrorBody(
  code: number,
  message: string,
  reason: string,
  status: string,
  item: Partial<GoogleErrorItem> = {},
): unknown {
  return {
    error: {
      code,
      message,
      errors: [
        {
          message: item.message ?? message,
          domain: item.domain ?? 'global',
          reason,
          ...pick(item),
        },
      ],
      status,
    },
  };
}

function pick(item: Partial<GoogleErrorItem>): Partial<GoogleErrorItem> {
  const out: Partial<GoogleErrorItem> = {};
  if (item.location) out.location = item.location;
  if (item.locationType) out.locationType = item.locationType;
  return out;
}

export const errors = {
  badRequest: (message: string) =>
    new HttpError(400, googleErrorBody(400, message, 'badRequest', 'INVALID_ARGUMENT')),
  invalidArgument: (message: string) =>
    new HttpError(400, googleErrorBody(400, message, 'invalidArgument', 'INVALID_ARGUMENT')),
  unknownQueryParam: (name: string) =>
    new HttpError(
      400,
      googleErrorBody(
        400,
        `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`,
        'invalid',
        'INVALID_ARGUMENT',
      ),
    ),
  unknownBodyField: (name: string, at: string) =>
    new HttpError(
      400,
      googleErrorBody(
        400,
        `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`,
        'invalid',
        'INVALID_ARGUMENT',
      ),
    ),
  unauthenticated: () =>
    new HttpError(
      401,
      googleErrorBody(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        'authError',
        'UNAUTHENTICATED',
        { message: 'Invalid Credentials', location: 'Authorization', locationType: 'header' },
      ),
      { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
    ),
  insufficientScopes: () =>
    new HttpError(
      403,
      googleErrorBody(
        403,
        'Request had insufficient authentication scopes.',
        'insufficientPermissions',
        'PERMISSION_DENIED',
        {
          message: 'Insufficient Permission',
        },
      ),
    ),
  forbidden: (message: string) =>
    new HttpError(403, googleErrorBody(403, message, 'forbidden', 'PERMISSION_DENIED')),
  notFound: () =>
    new HttpError(
      404,
      googleErrorBody(404, 'Requested entity was not found.', 'notFound', 'NOT_FOUND'),
    ),
  methodNotAllowed: () =>
    new HttpError(
      405,
      googleErrorBody(405, 'Method Not Allowed', 'httpMethodNotAllowed', 'UNIMPLEMENTED'),
    ),
};

/** An OAuth endpoint error: `{"error","error_description"}`, not the JSON API shape. */
export function oauthError(status: number, error: string, description: string): HttpError {
  return new HttpError(status, { error, error_description: description });
}

export function base64url(buf: Buffer): string {
  return buf.toString('base64url');
}

/** Decodes base64 in either alphabet, padded or not; null when the text is not base64 at all. */
export function decodeBase64Loose(text: string): Buffer | null {
  const trimmed = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/_-]*$/.test(trimmed)) return null;
  if (/[+/]/.test(trimmed) && /[-_]/.test(trimmed)) return null;
  if (trimmed.length % 4 === 1) return null;
  return Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
