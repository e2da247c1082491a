// The routes of a provider's OAuth consent, the same for every provider with a `consent` adapter:
// start (API key, returns Inlet's one-time consent URL), open (the user's browser: binds it with a
// cookie, 303 to the provider) and callback (the same browser, 303 to the return URL with the
// outcome). A provider's route files call these with its paths and texts.
import { Type } from 'typebox';

import { AppError } from '../../../errors.js';
import { bindingFailureText } from '../../../oauth/browser-binding.js';
import type { CallbackResult } from '../../../oauth/consent-flow-types.js';
import type { ProviderKind } from '../../../providers/provider-kind.js';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, mediaResponse, Timestamp } from '../../schemas.js';

export interface ConsentStartSpec {
  kind: ProviderKind;
  path: string;
  operationId: string;
  summary: string;
  /** Description of return_url, login_hint and consent_url in this provider's words. */
  returnUrlText: string;
  loginHintText: string;
  consentUrlText: string;
  /** The 501 message when the provider's OAuth client is not configured. */
  notConfigured: string;
}

export function consentStartRoute(app: Api, deps: ApiDeps, spec: ConsentStartSpec): void {
  const StartBody = Type.Object(
    {
      return_url: Type.String({ format: 'uri', maxLength: 2000, description: spec.returnUrlText }),
      login_hint: Type.Optional(
        Type.String({ format: 'email', maxLength: 320, description: spec.loginHintText }),
      ),
    },
    { additionalProperties: false },
  );
  const StartResponse = consentStartResponse(spec.consentUrlText);
  app.post(
    spec.path,
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: spec.operationId,
        tags: ['mailboxes'],
        summary: spec.summary,
        body: StartBody,
        response: { 200: StartResponse, ...errorResponses(...authErrors, 501) },
      },
    },
    async (req) => {
      if (!deps.consent.configured(spec.kind))
        throw new AppError('provider_not_configured', spec.notConfigured, undefined, 501);
      const url = new URL(req.body.return_url);
      // Only origins the tenant registered (PUT /v1/return-origins): no open redirect.
      await deps.returnOrigins.assertAllowed(actorOf(req), url.toString());
      const started = await deps.consent.start(spec.kind, actorOf(req), {
        returnUrl: url.toString(),
        loginHint: req.body.login_hint,
      });
      return { consent_url: started.consentUrl, expires_at: started.expiresAt };
    },
  );
}

/** The start answer of every provider: Inlet's one-time consent URL, never the provider's. */
export function consentStartResponse(consentUrlText: string) {
  return Type.Object({
    consent_url: Type.String({
      description: `${consentUrlText}. Open it in the user's browser (a redirect or a link the user clicks); it works once, and the consent completes only in the browser that opened it`,
    }),
    expires_at: Timestamp,
  });
}

export interface ConsentCallbackSpec {
  kind: ProviderKind;
  path: string;
  operationId: string;
  summary: string;
  /** The text shown when the mailbox is connected. */
  connectedText: string;
  /** Why the provider adds query parameters the route does not read (documentation only). */
  extraParams: string;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, text: string, code: string | null, link: string | null): string {
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body>` +
    `<h1>${escape(title)}</h1><p>${escape(text)}</p>${code ? `<p>Error code: <code>${escape(code)}</code></p>` : ''}` +
    `${link ? `<p><a href="${escape(link)}">Continue</a></p>` : ''}</body></html>`
  );
}

function target(r: CallbackResult | { ok: false; code: string; returnUrl: string | null }) {
  if (!r.returnUrl) return null;
  const url = new URL(r.returnUrl);
  if (r.ok) {
    url.searchParams.set('status', 'connected');
    url.searchParams.set('mailbox_id', r.mailboxId);
    url.searchParams.set('outcome', r.outcome);
  } else {
    url.searchParams.set('status', 'error');
    url.searchParams.set('error', r.code);
  }
  return url.toString();
}

export function consentCallbackRoute(app: Api, deps: ApiDeps, spec: ConsentCallbackSpec): void {
  const CallbackQuery = Type.Object(
    {
      state: Type.Optional(Type.String({ maxLength: 1000 })),
      code: Type.Optional(Type.String({ maxLength: 2000 })),
      error: Type.Optional(Type.String({ maxLength: 200 })),
    },
    // The provider adds parameters of its own (spec.extraParams).
    { additionalProperties: true },
  );
  app.get(
    spec.path,
    {
      // The provider sends the user's browser here; the signed single-use state is the credential.
      config: { auth: 'public' },
      schema: {
        operationId: spec.operationId,
        tags: ['mailboxes'],
        summary: spec.summary,
        security: [],
        querystring: CallbackQuery,
        response: {
          303: mediaResponse(
            'text/html',
            'Redirect to the return URL (the body is a plain page saying the same)',
          ),
          400: mediaResponse(
            'text/html',
            'Plain page: the state is invalid, so there is no trusted return URL',
          ),
        },
      },
    },
    async (req, reply) => {
      const result = await deps.consent.callback(spec.kind, req.query, req.headers.cookie);
      const { failureText, title: titles } = deps.consent.texts(spec.kind);
      const location = target(result);
      const title = result.ok ? titles.ok : titles.failed;
      const text = result.ok
        ? spec.connectedText
        : (failureText[result.code] ?? bindingFailureText[result.code] ?? result.code);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      // The binding cookie is single use like the state.
      const clear = deps.consent.clearCookie(req.query.state);
      if (clear) reply.header('set-cookie', clear);
      if (!location)
        return reply.code(400).send(page(title, text, result.ok ? null : result.code, null));
      return reply
        .code(303)
        .header('location', location)
        .send(page(title, text, result.ok ? null : result.code, location));
    },
  );
}

/**
 * GET /v1/oauth/consent?state=…: the consent URL a start call returned, opened in the user's
 * browser. The first opening binds that browser (cookie) and redirects to the provider; any later
 * opening, or an invalid link, gets the return URL with the error (or a plain page).
 */
export function consentOpenRoute(app: Api, deps: ApiDeps): void {
  app.get(
    '/v1/oauth/consent',
    {
      // The signed single-use state is the credential, as on the callback.
      config: { auth: 'public' },
      schema: {
        operationId: 'openOAuthConsent',
        tags: ['mailboxes'],
        summary:
          "Open a consent URL (from a start call) in the user's browser: sets a cookie binding this browser to the consent and redirects to the provider's consent screen; works once",
        security: [],
        querystring: Type.Object(
          { state: Type.String({ maxLength: 400 }) },
          { additionalProperties: false },
        ),
        response: {
          303: mediaResponse(
            'text/html',
            "Redirect to the provider's consent screen, or to the return URL with `status=error&error=<code>` (consent_link_used, state_expired)",
          ),
          400: mediaResponse('text/html', 'Plain page: the link is not valid'),
        },
      },
    },
    async (req, reply) => {
      const result = await deps.consent.open(req.query.state);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (result.ok)
        return reply
          .code(303)
          .header('set-cookie', result.setCookie)
          .header('location', result.authorizationUrl)
          .send(
            page('Connecting your mailbox', 'Continue to sign in.', null, result.authorizationUrl),
          );
      const text =
        bindingFailureText[result.code] ??
        'This consent link is not valid. Start connecting the mailbox again from your helpdesk.';
      const location = target(result);
      const title = 'Mailbox not connected';
      if (!location) return reply.code(400).send(page(title, text, result.code, null));
      return reply
        .code(303)
        .header('location', location)
        .send(page(title, text, result.code, location));
    },
  );
}
