import { Type } from 'typebox';
import { AppError } from '../../../errors.js';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses, Timestamp } from '../../schemas.js';

const StartBody = Type.Object(
  {
    return_url: Type.String({ format: 'uri', maxLength: 2000, description: 'Where the browser is sent back after consent, with `status=connected&mailbox_id=…&outcome=created|reauthorized` or `status=error&error=<code>` added to the query' }),
    login_hint: Type.Optional(Type.String({ format: 'email', maxLength: 320, description: 'Pre-selects this Google account on the consent screen' })),
  },
  { additionalProperties: false },
);

const StartResponse = Type.Object({
  authorization_url: Type.String({ description: 'Send the user\'s browser here (Google consent: gmail.readonly + gmail.send, offline access, PKCE)' }),
  expires_at: Timestamp,
});

export function startGoogleOAuthRoute(app: Api, deps: ApiDeps): void {
  app.post('/v1/mailboxes/oauth/google/start', {
    config: { auth: 'mailboxes:manage' },
    schema: {
      operationId: 'startGoogleOAuth',
      tags: ['mailboxes'],
      summary: 'Start connecting a Gmail mailbox: returns Google\'s consent URL with a single-use state valid for 10 minutes (connecting an address again re-authorises that mailbox)',
      body: StartBody,
      response: { 200: StartResponse, ...errorResponses(...authErrors, 501) },
    },
  }, async (req) => {
    if (!deps.googleConnect.configured) throw new AppError('provider_not_configured', 'Gmail is not configured on this Inlet (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET).', undefined, 501);
    const url = new URL(req.body.return_url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('validation_failed', 'return_url must be an http(s) URL.');
    const started = await deps.googleConnect.start(actorOf(req), { returnUrl: url.toString(), loginHint: req.body.login_hint });
    return { authorization_url: started.authorizationUrl, expires_at: started.expiresAt };
  });
}
