// Request handling of the Google fake: OAuth endpoints, Gmail operations by their discovery-document
// name, and every call logged with its user, operation and status.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { GmailDeps } from './gmail-handlers.js';
import * as gmail from './gmail-handlers.js';
import * as messages from './gmail-messages.js';
import { prepareCall } from './gmail-routes.js';
import { googleErrorBody, HttpError, readBody, sendJson } from './http-util.js';
import { handleAuthorize, type RouteContext } from './oauth.js';
import { handleCerts, handleRevoke, handleTokenInfo, handleUserinfo } from './oauth-info.js';
import { handleToken } from './oauth-token.js';
import type { FakeState } from './state.js';

export function makeHandler(state: FakeState, deps: GmailDeps) {
  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    ctx: RouteContext,
  ): Promise<void> {
    const body = await readBody(req);
    const p = url.pathname;
    if (p === '/o/oauth2/v2/auth' && req.method === 'GET')
      return handleAuthorize(state, url, res, ctx);
    if (p === '/token' && req.method === 'POST') return handleToken(state, req, body, res, ctx);
    if (p === '/revoke' && req.method === 'POST') return handleRevoke(state, url, body, res, ctx);
    if (p === '/tokeninfo') return handleTokenInfo(state, req, url, res, ctx);
    if (p === '/oauth2/v1/certs' && req.method === 'GET')
      return handleCerts(state, 'pem', res, ctx);
    if (p === '/oauth2/v3/certs' && req.method === 'GET')
      return handleCerts(state, 'jwk', res, ctx);
    if ((p === '/v1/userinfo' || p === '/oauth2/v3/userinfo') && req.method === 'GET')
      return handleUserinfo(state, req, res, ctx);
    if (p.startsWith('/gmail/v1/') || p.startsWith('/upload/gmail/v1/')) {
      const call = prepareCall(state, req, url, body, res, ctx);
      switch (call.route.operation) {
        case 'users.getProfile':
          return gmail.getProfile(call);
        case 'users.watch':
          return gmail.watch(deps, call);
        case 'users.stop':
          return gmail.stop(call);
        case 'users.history.list':
          return gmail.historyList(deps, call);
        case 'users.messages.list':
          return messages.messagesList(deps, call);
        case 'users.messages.get':
          return messages.messagesGet(call);
        case 'users.messages.send':
          return messages.messagesSend(deps, call);
        case 'users.labels.list':
          return gmail.labelsList(call);
      }
    }
    throw new HttpError(
      404,
      googleErrorBody(404, 'Requested entity was not found.', 'notFound', 'NOT_FOUND'),
    );
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ctx: RouteContext = { user: undefined, operation: 'unknown' };
    route(req, res, url, ctx)
      .catch((e: unknown) => {
        if (e instanceof HttpError) return sendJson(res, e.status, e.body, e.headers);
        sendJson(
          res,
          500,
          googleErrorBody(
            500,
            `fake bug: ${e instanceof Error ? e.message : String(e)}`,
            'backendError',
            'INTERNAL',
          ),
        );
      })
      .finally(() => {
        state.calls.push({
          method: req.method ?? '',
          path: url.pathname,
          user: ctx.user,
          status: res.statusCode,
          operation: ctx.operation,
          at: state.now(),
        });
      });
  };
}
