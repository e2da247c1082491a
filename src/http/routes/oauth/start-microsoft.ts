// Start connecting a Microsoft 365 mailbox. Like the shared consent start route, plus the option to
// name a shared mailbox (support@ usually is one) that the consenting user can open.
import { Type } from 'typebox';

import { AppError } from '../../../errors.js';
import type { Api, ApiDeps } from '../../api.js';
import { actorOf } from '../../plugins/auth.js';
import { authErrors, errorResponses } from '../../schemas.js';
import { consentStartResponse } from './consent-routes.js';

const StartBody = Type.Object(
  {
    return_url: Type.String({
      format: 'uri',
      maxLength: 2000,
      description:
        'Where the browser is sent back after consent, with `status=connected&mailbox_id=…&outcome=created|reauthorized` or `status=error&error=<code>` added to the query',
    }),
    login_hint: Type.Optional(
      Type.String({
        format: 'email',
        maxLength: 320,
        description: "Pre-fills this work or school account on Microsoft's sign-in page",
      }),
    ),
    shared_mailbox: Type.Optional(
      Type.String({
        format: 'email',
        maxLength: 320,
        description:
          "Connect this shared mailbox instead of the signed-in user's own: the user needs Full Access and Send As on it; consent then also covers Mail.Read.Shared and Mail.Send.Shared. Shared mailboxes are polled (Graph has no change notifications for delegated shared access)",
      }),
    ),
  },
  { additionalProperties: false },
);

const StartResponse = consentStartResponse(
  'Inlet URL that sends the browser on to Microsoft sign-in and consent (User.Read, Mail.Read, Mail.Send, offline access; auth code with PKCE)',
);

export function startMicrosoftOAuthRoute(app: Api, deps: ApiDeps): void {
  app.post(
    '/v1/mailboxes/oauth/microsoft/start',
    {
      config: { auth: 'mailboxes:manage' },
      schema: {
        operationId: 'startMicrosoftOAuth',
        tags: ['mailboxes'],
        summary:
          "Start connecting a Microsoft 365 mailbox (own or shared): returns Microsoft's sign-in URL with a single-use state valid for 10 minutes (connecting an address again re-authorises that mailbox)",
        body: StartBody,
        response: { 200: StartResponse, ...errorResponses(...authErrors, 501) },
      },
    },
    async (req) => {
      if (!deps.consent.configured('graph'))
        throw new AppError(
          'provider_not_configured',
          'Microsoft 365 is not configured on this Inlet (MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET).',
          undefined,
          501,
        );
      const url = new URL(req.body.return_url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new AppError('validation_failed', 'return_url must be an http(s) URL.');
      // Only origins the tenant registered (PUT /v1/return-origins), as for Google.
      await deps.returnOrigins.assertAllowed(actorOf(req), url.toString());
      const options = req.body.shared_mailbox
        ? { shared_mailbox: req.body.shared_mailbox }
        : undefined;
      const started = await deps.consent.start('graph', actorOf(req), {
        returnUrl: url.toString(),
        loginHint: req.body.login_hint,
        ...(options ? { options } : {}),
      });
      return { consent_url: started.consentUrl, expires_at: started.expiresAt };
    },
  );
}
