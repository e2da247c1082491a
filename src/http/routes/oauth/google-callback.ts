import type { Api, ApiDeps } from '../../api.js';
import { consentCallbackRoute } from './consent-routes.js';

export function googleCallbackRoute(app: Api, deps: ApiDeps): void {
  consentCallbackRoute(app, deps, {
    kind: 'gmail',
    path: '/v1/oauth/google/callback',
    operationId: 'googleOAuthCallback',
    summary:
      'Google consent redirect: connects the mailbox, then 303 to the return URL with the outcome; 400 plain page when the state is not valid',
    connectedText: 'The mailbox is connected; its mail will appear as tickets shortly.',
    extraParams: 'Google adds scope, authuser, prompt, hd…',
  });
}
