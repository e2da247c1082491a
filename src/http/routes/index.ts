// Every route module, registered in one place so the OpenAPI document sees them all.
import type { Api, ApiDeps } from '../api.js';
import { createApiKeyRoute } from './api-keys/create-api-key.js';
import { listApiKeysRoute } from './api-keys/list-api-keys.js';
import { revokeApiKeyRoute } from './api-keys/revoke-api-key.js';
import { listAuditRoute } from './audit/list-audit.js';
import { healthzRoute } from './health/healthz.js';
import { metricsRoute } from './health/metrics.js';
import { readyzRoute } from './health/readyz.js';
import { createMailboxRoute } from './mailboxes/create-mailbox.js';
import { disconnectMailboxRoute } from './mailboxes/disconnect-mailbox.js';
import { getMailboxRoute } from './mailboxes/get-mailbox.js';
import { listMailboxesRoute } from './mailboxes/list-mailboxes.js';
import { updateCredentialsRoute } from './mailboxes/update-credentials.js';
import { createTenantRoute } from './tenants/create-tenant.js';
import { getAttachmentContentRoute } from './attachments/get-attachment-content.js';
import { getRawMessageRoute } from './messages/get-raw-message.js';
import { createReplyRoute } from './tickets/create-reply.js';
import { getTicketRoute } from './tickets/get-ticket.js';
import { listTicketsRoute } from './tickets/list-tickets.js';
import { updateTicketRoute } from './tickets/update-ticket.js';
import { googleCallbackRoute } from './oauth/google-callback.js';
import { startGoogleOAuthRoute } from './oauth/start-google.js';
import { googlePubSubRoute } from './webhooks/google-pubsub.js';

export function registerRoutes(app: Api, deps: ApiDeps): void {
  healthzRoute(app);
  readyzRoute(app, deps);
  metricsRoute(app, deps);
  createTenantRoute(app, deps);
  createApiKeyRoute(app, deps);
  listApiKeysRoute(app, deps);
  revokeApiKeyRoute(app, deps);
  listAuditRoute(app, deps);
  createMailboxRoute(app, deps);
  listMailboxesRoute(app, deps);
  getMailboxRoute(app, deps);
  disconnectMailboxRoute(app, deps);
  updateCredentialsRoute(app, deps);
  listTicketsRoute(app, deps);
  getTicketRoute(app, deps);
  updateTicketRoute(app, deps);
  createReplyRoute(app, deps);
  getRawMessageRoute(app, deps);
  getAttachmentContentRoute(app, deps);
  startGoogleOAuthRoute(app, deps);
  googleCallbackRoute(app, deps);
  googlePubSubRoute(app, deps);
}
