import { openapiWebhooks } from '../../events/catalogue.js';

// The top of openapi.yaml. Paths come from the route schemas; scripts/write-openapi.ts writes the file
// and test/integration/openapi-drift.test.ts fails when the committed file differs.
export const openapiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Inlet API',
    version: '0.1.0',
    description:
      'Email-to-ticket ingestion: connected mailboxes, encrypted ticket threads, scanned attachments, audited access.',
    license: { name: 'Apache-2.0' },
  },
  // Relative: the API answers wherever it is deployed (INLET_PUBLIC_URL); `npm start` serves the second.
  servers: [
    { url: '/', description: 'this Inlet (same origin as the API reference)' },
    { url: 'http://127.0.0.1:3000', description: 'local development (npm start)' },
  ],
  tags: [
    { name: 'health', description: 'Liveness, readiness and metrics' },
    { name: 'tenants', description: 'Operator: tenants' },
    { name: 'api-keys', description: "A tenant's API keys" },
    { name: 'mailboxes', description: 'Connected mailboxes, their consent flows and deletion' },
    { name: 'tickets', description: 'Tickets, messages, attachments and replies' },
    { name: 'audit', description: 'The audit log of reads and changes' },
    { name: 'webhooks', description: 'Push notifications from mail providers' },
  ],
  components: {
    securitySchemes: {
      bearer: {
        type: 'http' as const,
        scheme: 'bearer',
        description: 'Tenant API key (`inl_…`) or the operator key',
      },
    },
  },
  security: [{ bearer: [] }],
  // The event catalogue: what each webhook delivery carries (the same items GET /v1/events lists).
  webhooks: openapiWebhooks(),
};
