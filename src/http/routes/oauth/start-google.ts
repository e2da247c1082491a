import type { Api, ApiDeps } from '../../api.js';
import { consentStartRoute } from './consent-routes.js';

export function startGoogleOAuthRoute(app: Api, deps: ApiDeps): void {
  consentStartRoute(app, deps, {
    kind: 'gmail',
    path: '/v1/mailboxes/oauth/google/start',
    operationId: 'startGoogleOAuth',
    summary:
      "Start connecting a Gmail mailbox: returns Google's consent URL with a single-use state valid for 10 minutes (connecting an address again re-authorises that mailbox)",
    returnUrlText:
      'Where the browser is sent back after consent, with `status=connected&mailbox_id=…&outcome=created|reauthorized` or `status=error&error=<code>` added to the query',
    loginHintText: 'Pre-selects this Google account on the consent screen',
    consentUrlText:
      'Inlet URL that sends the browser on to Google consent (gmail.readonly + gmail.send, offline access, PKCE)',
    notConfigured:
      'Gmail is not configured on this Inlet (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET).',
  });
}
