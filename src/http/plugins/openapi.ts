import { openapiWebhooks } from '../../events/catalogue.js';

// The top of openapi.yaml. Paths come from the route schemas; scripts/write-openapi.ts writes the file
// and test/integration/openapi-drift.test.ts fails when the committed file differs.
export const openapiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Inlet API',
    version: '0.1.0',
    description: 'Email-to-ticket ingestion: connected mailboxes, encrypted ticket threads, scanned attachments, audited access.',
    license: { name: 'Apache-2.0' },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http' as const, scheme: 'bearer', description: 'Tenant API key (`inl_…`) or the operator key' },
    },
  },
  security: [{ bearer: [] }],
  // The event catalogue: what each webhook delivery carries (the same items GET /v1/events lists).
  webhooks: openapiWebhooks(),
};
