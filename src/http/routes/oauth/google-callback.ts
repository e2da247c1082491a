import { Type } from 'typebox';
import { failureText } from '../../../oauth/google-grant.js';
import type { CallbackResult } from '../../../oauth/google-connect.js';
import type { Api, ApiDeps } from '../../api.js';
import { mediaResponse } from '../../schemas.js';

const CallbackQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ maxLength: 1000 })),
    code: Type.Optional(Type.String({ maxLength: 2000 })),
    error: Type.Optional(Type.String({ maxLength: 200 })),
  },
  // Google adds scope, authuser, prompt, hd…
  { additionalProperties: true },
);

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, text: string, code: string | null, link: string | null): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body>`
    + `<h1>${escape(title)}</h1><p>${escape(text)}</p>${code ? `<p>Error code: <code>${escape(code)}</code></p>` : ''}`
    + `${link ? `<p><a href="${escape(link)}">Continue</a></p>` : ''}</body></html>`;
}

function target(r: CallbackResult): string | null {
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

export function googleCallbackRoute(app: Api, deps: ApiDeps): void {
  app.get('/v1/oauth/google/callback', {
    // Google sends the user's browser here; the signed single-use state is the credential.
    config: { auth: 'public' },
    schema: {
      operationId: 'googleOAuthCallback',
      tags: ['mailboxes'],
      summary: 'Google consent redirect: connects the mailbox, then 303 to the return URL with the outcome; 400 plain page when the state is not valid',
      security: [],
      querystring: CallbackQuery,
      response: {
        303: mediaResponse('text/html', 'Redirect to the return URL (the body is a plain page saying the same)'),
        400: mediaResponse('text/html', 'Plain page: the state is invalid, so there is no trusted return URL'),
      },
    },
  }, async (req, reply) => {
    const result = await deps.googleConnect.callback(req.query);
    const location = target(result);
    const title = result.ok ? 'Gmail mailbox connected' : 'Gmail mailbox not connected';
    const text = result.ok ? 'The mailbox is connected; its mail will appear as tickets shortly.' : failureText[result.code];
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!location) return reply.code(400).send(page(title, text, result.ok ? null : result.code, null));
    return reply.code(303).header('location', location).send(page(title, text, result.ok ? null : result.code, location));
  });
}
