// Request routing of the Microsoft fake: Graph (/v1.0/: the signed-in user, subscriptions, mail
// under me/ or users/{id}/, each admitted through the per-mailbox throttle), upload sessions and
// the Entra ID endpoints.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readBody, sendJson } from '../google/http-util.js';
import { admit, bearer, mailboxFor, type Need } from './graph-auth.js';
import * as mail from './graph-mail.js';
import * as send from './graph-send.js';
import { authorize, instanceDiscovery, openidConfiguration } from './identity.js';
import { token } from './identity-token.js';
import type { Notifier } from './notifier.js';
import { type FakeState, graphError } from './state.js';
import {
  createSubscription,
  deleteSubscription,
  patchSubscription,
  reauthorize,
} from './subscriptions.js';

export function makeRouter(deps: {
  s: FakeState;
  notifier: Notifier;
  /** Peak concurrent Graph requests per mailbox, kept for MicrosoftFake.peakConcurrency. */
  peaks: Map<string, number>;
  latencyMs: number | undefined;
}) {
  const { s, notifier, peaks } = deps;

  async function graph(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: Buffer,
    ctx: { mailbox?: string },
  ): Promise<void> {
    const caller = bearer(s, req);
    const path = url.pathname
      .slice('/v1.0/'.length)
      .replace(/mailFolders\('([^']+)'\)/gi, 'mailFolders/$1');
    const method = req.method ?? 'GET';
    if (path === 'subscriptions' && method === 'POST')
      return createSubscription(s, notifier, caller, req, raw, res);
    const sub = /^subscriptions\/([^/]+)(\/reauthorize)?$/.exec(path);
    if (sub) {
      if (sub[2] && method === 'POST') return reauthorize(s, caller, sub[1]!, res);
      if (method === 'PATCH') return patchSubscription(s, caller, sub[1]!, req, raw, res);
      if (method === 'DELETE') return deleteSubscription(s, caller, sub[1]!, res);
    }
    const m = /^(me|users\/([^/]+))(?:\/(.*))?$/.exec(path);
    if (!m)
      throw graphError(
        400,
        'BadRequest',
        `Resource not found for the segment '${path.split('/')[0]}'.`,
      );
    const who = m[1] === 'me' ? 'me' : m[2]!;
    const rest = m[3] ?? '';
    if (rest === '' && method === 'GET') {
      if (!caller.token.scopes.includes('User.Read'))
        throw graphError(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      if (
        who !== 'me' &&
        s.byOid.get(who)?.oid !== caller.user.oid &&
        s.users.get(decodeURIComponent(who).toLowerCase())?.oid !== caller.user.oid
      ) {
        throw graphError(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      }
      ctx.mailbox = caller.user.email;
      return sendJson(res, 200, {
        '@odata.context': `${s.origin}/v1.0/$metadata#users/$entity`,
        id: caller.user.oid,
        displayName: caller.user.displayName,
        mail: caller.user.email,
        userPrincipalName: caller.user.email,
      });
    }
    const need: Need = /^(sendMail|messages\/[^/]+\/send)$/.test(rest)
      ? 'send'
      : method === 'GET'
        ? 'read'
        : 'write';
    // Drafts and their attachments need Mail.ReadWrite (docs/providers.md, Microsoft fake); sending
    // them needs Mail.Send.
    const mailbox = mailboxFor(s, caller, who, need);
    ctx.mailbox = mailbox.email;
    const release = admit(s, caller.token.clientId, mailbox);
    const key = mailbox.email;
    peaks.set(
      key,
      Math.max(peaks.get(key) ?? 0, s.inFlight.get(`${caller.token.clientId}|${mailbox.oid}`) ?? 0),
    );
    try {
      if (deps.latencyMs) await new Promise((r) => setTimeout(r, deps.latencyMs));
      const c: mail.MailCall = { s, req, url, body: raw, res, mailbox, rest };
      let r: RegExpExecArray | null;
      if (method === 'GET' && /^mailFolders\/inbox\/messages\/delta$/i.test(rest))
        return mail.delta(c);
      if (method === 'GET' && (r = /^mailFolders\/([^/]+)$/i.exec(rest)))
        return sendJson(res, 200, { id: r[1]!.toLowerCase(), displayName: r[1] });
      if (method === 'GET' && (r = /^mailFolders\/([^/]+)\/messages$/i.exec(rest)))
        return mail.listFolder(c, r[1]!);
      if (method === 'GET' && (r = /^messages\/([^/]+)\/\$value$/.exec(rest)))
        return mail.getValue(c, r[1]!);
      if (method === 'GET' && (r = /^messages\/([^/]+)$/.exec(rest)))
        return mail.getMessage(c, r[1]!);
      if (method === 'POST' && rest === 'sendMail') return send.sendMail(c);
      if (method === 'POST' && rest === 'messages') return send.createDraft(c);
      if (method === 'POST' && (r = /^messages\/([^/]+)\/attachments$/.exec(rest)))
        return send.addAttachment(c, r[1]!);
      if (
        method === 'POST' &&
        (r = /^messages\/([^/]+)\/attachments\/createUploadSession$/.exec(rest))
      )
        return send.createUploadSession(c, r[1]!);
      if (method === 'POST' && (r = /^messages\/([^/]+)\/send$/.exec(rest)))
        return send.sendDraft(c, r[1]!);
      throw graphError(
        400,
        'BadRequest',
        `Resource not found for the segment '${rest.split('/')[0]}'.`,
      );
    } finally {
      release();
    }
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    ctx: { mailbox?: string },
  ): Promise<void> {
    const raw = await readBody(req);
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (p.startsWith('/v1.0/')) return graph(req, res, url, raw, ctx);
    if ((m = /^\/upload\/([^/]+)$/.exec(p)) && req.method === 'PUT')
      return send.uploadChunk(s, req, m[1]!, raw, res);
    if (p === '/common/discovery/instance' && req.method === 'GET')
      return instanceDiscovery(s, url, res);
    if (
      (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(p)) &&
      req.method === 'GET'
    )
      return openidConfiguration(s, m[1]!, res);
    if ((m = /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/.exec(p)) && req.method === 'GET')
      return authorize(s, m[1]!, url, res);
    if ((m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(p)) && req.method === 'POST')
      return token(s, m[1]!, req, raw, res, ctx);
    throw graphError(404, 'UnknownError', '');
  }

  return route;
}
