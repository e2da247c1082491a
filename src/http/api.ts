// Types shared by every route module: the typed Fastify instance and the services routes may call.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Registry } from 'prom-client';

import type { EventService } from '../events/event-service.js';
import type { MailboxService } from '../mailboxes/mailbox-service.js';
import type { ConsentFlow } from '../oauth/consent-flow-types.js';
import type { ReturnOrigins } from '../oauth/return-origins.js';
import type { ReplyService } from '../outbound/reply-service.js';
import type { RetentionService } from '../privacy/retention-service.js';
import type { SubjectRequestService } from '../privacy/subject-requests.js';
import type { ImapConnector, PushReceivers } from '../providers/registry.js';
import type { SignatureState } from '../scanner/signature-age.js';
import type { AuditReader } from '../tenancy/audit.js';
import type { TenantService } from '../tenancy/tenant-service.js';
import type { TicketService } from '../tickets-api/ticket-service.js';
import type { WebhookEndpointService } from '../webhooks/endpoint-service.js';

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  migrations: 'ok' | 'pending' | 'unknown';
  /** Present when this process runs the worker: whether its job runner can fetch jobs. */
  worker?: 'ok' | 'starting' | 'stalled';
  /** clamd's signature database (scanner/signature-age.ts); stale_signatures degrades, never fails, readiness. */
  scanner?: SignatureState;
}

export interface ApiDeps {
  /** Prometheus registry of this container. */
  metrics: Registry;
  readiness(): Promise<Readiness>;
  operatorKey: string | null;
  rateLimitPerMinute: number;
  returnOrigins: ReturnOrigins;
  /** Failed authentications per client address per minute before 429 (default 30). */
  authFailuresPerMinute?: number;
  /** Requests per tenant per minute over all its keys (default 3000). */
  tenantRateLimitPerMinute?: number;
  tenants: TenantService;
  mailboxes: MailboxService;
  imapMailboxes: ImapConnector;
  auditReader: AuditReader;
  tickets: TicketService;
  replies: ReplyService;
  /** The provider-neutral OAuth consent flow (start + callback routes of each OAuth provider). */
  consent: ConsentFlow;
  /** Each provider's push receiver (its webhook route calls it). */
  push: PushReceivers;
  events: EventService;
  webhookEndpoints: WebhookEndpointService;
  subjectRequests: SubjectRequestService;
  retention: RetentionService;
  /** DELETE /v1/tenants/{id}: revoke, disconnect, shred now; the tenant.offboard job deletes the rows. */
  offboardTenant(
    tenantId: string,
    by: { requestId: string | null; clientIp: string | null },
  ): Promise<import('../store/subject-request-store.js').PrivacyReceiptRow>;
}
