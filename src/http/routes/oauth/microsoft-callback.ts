import type { Api, ApiDeps } from '../../api.js';
import { consentCallbackRoute } from './consent-routes.js';

export function microsoftCallbackRoute(app: Api, deps: ApiDeps): void {
  consentCallbackRoute(app, deps, {
    kind: 'graph',
    path: '/v1/oauth/microsoft/callback',
    operationId: 'microsoftOAuthCallback',
    summary:
      'Microsoft sign-in redirect: connects the mailbox, then 303 to the return URL with the outcome; 400 plain page when the state is not valid',
    connectedText: 'The mailbox is connected; its mail will appear as tickets shortly.',
    extraParams: 'Microsoft adds client_info, session_state, error_description…',
  });
}
