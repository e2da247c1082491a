// The one renderer of errors: RFC 9457 problem+json with a stable `code`. 4xx explain the caller's
// mistake; 5xx say only that something went wrong plus the request id, and the detail goes to the log.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { AppError, type ErrorCode, type Problem } from '../../errors.js';
import { isConnectionError } from '../../store/db.js';
import { unknownFields, validationError } from './validation-errors.js';

const problemBase = 'https://inlet.dev/problems/';

export function renderProblem(
  req: FastifyRequest,
  status: number,
  code: ErrorCode,
  detail: string,
  extra?: Record<string, unknown>,
): Problem {
  return {
    type: problemBase + code,
    title: code.replace(/_/g, ' '),
    status,
    code,
    detail,
    instance: req.url.split('?')[0],
    request_id: String(req.id),
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  // Serialised here, not by the route's response schema: a route whose 400 is an HTML page (the
  // OAuth consent and callback pages) would otherwise turn a validation problem into "[object Object]".
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .serializer(JSON.stringify)
    .send(problem);
}

function fromFastifyError(err: FastifyError, req: FastifyRequest): AppError | null {
  if (err.validation) {
    const context = err.validationContext ?? '';
    const found =
      context === 'body' ? unknownFields(req.routeOptions.schema?.body, req.body, context) : [];
    return validationError(err.validation, context, found);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const sent = req.headers['content-type'];
      return new AppError(
        'unsupported_media_type',
        `Send the body as JSON with the header Content-Type: application/json${sent ? ` (this request said ${JSON.stringify(sent.slice(0, 100))})` : ' (this request had no Content-Type)'}.`,
      );
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('bad_request', 'The request body is not valid JSON.');
  }
  if (err.statusCode === 429)
    return new AppError('rate_limited', 'Too many requests; retry later.');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return new AppError('bad_request', 'The request is not valid.', undefined);
  return null;
}

/**
 * Fastify parses text/plain bodies too, so a form or text body reached JSON routes' validation and
 * came back as "body must be object". A non-empty body that is not JSON on a route expecting JSON
 * is told so (415). Empty text bodies pass: Microsoft Graph's subscription validation POSTs one.
 */
function refuseNonJsonBodies(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    if (!req.routeOptions.schema?.body || typeof req.body !== 'string' || req.body.length === 0)
      return;
    const sent = req.headers['content-type'] ?? '';
    throw new AppError(
      'unsupported_media_type',
      `Send the body as JSON with the header Content-Type: application/json (this request said ${JSON.stringify(sent.slice(0, 100))}).`,
    );
  });
}

/**
 * Fastify's `frameworkErrors` option: a URL it cannot route (bad percent-encoding, a path segment
 * longer than the router's 100 characters) is refused before any hook runs, and by default with
 * Fastify's own JSON and, for the long segment, a 414 no code of ours describes.
 */
export function frameworkErrors(
  error: FastifyError,
  req: FastifyRequest,
  reply: FastifyReply,
): void {
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path segment is longer than any id the API issues.'
      : 'The URL is not valid (check its percent-encoding).';
  const known = error.code === 'FST_ERR_MAX_PARAM_LENGTH' || error.code === 'FST_ERR_BAD_URL';
  void sendProblem(
    reply,
    known
      ? renderProblem(req, 400, 'bad_request', detail)
      : renderProblem(req, 500, 'internal', 'An internal error occurred.'),
  );
}

export function registerErrorHandling(app: FastifyInstance): void {
  refuseNonJsonBodies(app);
  app.setErrorHandler((error: FastifyError | AppError, req, reply) => {
    const appError =
      error instanceof AppError ? error : fromFastifyError(error as FastifyError, req);
    // 501: a feature this deployment has not configured. The sentence says which settings, and it
    // is the caller's answer, not an internal detail.
    if (appError && (appError.status < 500 || appError.status === 501)) {
      req.log.info({ code: appError.code, status: appError.status }, 'request rejected');
      return sendProblem(
        reply,
        renderProblem(req, appError.status, appError.code, appError.message, appError.extra),
      );
    }
    req.log.error({ err: error }, 'request failed');
    // The database went away mid-request (failover, reset connection): its transaction rolled back,
    // so the same request can be sent again (with its Idempotency-Key) and should be.
    const lostDb = !appError && isConnectionError(error);
    const status = appError?.status ?? (lostDb ? 503 : 500);
    const code = appError?.code ?? (lostDb ? 'dependency_unavailable' : 'internal');
    const detail =
      status === 503 ? 'A dependency is unavailable; retry later.' : 'An internal error occurred.';
    return sendProblem(reply, renderProblem(req, status, code, detail));
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(
      reply,
      renderProblem(req, 404, 'not_found', `No route for ${req.method} ${req.url.split('?')[0]}.`),
    ),
  );
}
