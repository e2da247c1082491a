// Proxies, rate limits, HTTP timeouts, mailbox sharing and egress to tenant-given servers.
import type { Variable } from './kinds.js';

export const networkVariables = [
  {
    name: 'TRUST_PROXY_HOPS',
    kind: { type: 'int', min: 0, max: 10 },
    default: '0',
    description:
      'reverse proxies in front of Inlet whose X-Forwarded-For is trusted (client IP in audit records and rate limits); 0 = none',
  },
  {
    name: 'RATE_LIMIT_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 1000000 },
    default: '600',
    description: 'API requests per minute per API key (or IP when unauthenticated)',
  },
  {
    name: 'RATE_LIMIT_AUTH_FAILURES_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 100000 },
    default: '30',
    description:
      'failed authentications (401) per client address per minute; further requests from it answer 429 before any key lookup',
  },
  {
    name: 'RATE_LIMIT_PER_TENANT_PER_MINUTE',
    kind: { type: 'int', min: 1, max: 10000000 },
    default: '3000',
    description: 'API requests per minute per tenant, summed over all its keys',
  },
  {
    name: 'MAX_API_KEYS_PER_TENANT',
    kind: { type: 'int', min: 1, max: 10000 },
    default: '50',
    description: 'active API keys a tenant may hold; creating more answers 409 api_key_limit',
  },
  {
    name: 'HTTP_REQUEST_TIMEOUT_MS',
    kind: { type: 'int', min: 1000, max: 600000 },
    default: '30000',
    description: 'a request, body included, must arrive within this; slower ones are cut off (408)',
  },
  {
    name: 'HTTP_HEADERS_TIMEOUT_MS',
    kind: { type: 'int', min: 1000, max: 600000 },
    default: '10000',
    description: 'request headers must arrive within this',
  },
  {
    name: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    kind: { type: 'int', min: 1000, max: 600000 },
    default: '5000',
    description: 'idle keep-alive connections are closed after this',
  },
  {
    name: 'HTTP_MAX_CONNECTIONS',
    kind: { type: 'int', min: 1, max: 1000000 },
    default: '1000',
    description: 'open connections per process; more are closed on arrival',
  },
  {
    name: 'CONSENT_ALLOW_SHARED_MAILBOXES',
    kind: { type: 'bool' },
    default: 'false',
    description:
      'let a consent flow connect a mailbox address that another tenant already has connected (otherwise address_in_use_elsewhere until that tenant disconnects it)',
  },
  {
    name: 'EGRESS_ALLOW_NETWORKS',
    kind: { type: 'string' },
    description:
      'comma-separated CIDRs, addresses or host names (`*.example.com`) that tenant-given mail servers may reach although they are private, loopback or otherwise special (self-hosted mail servers); unset = public addresses only',
  },
  {
    name: 'EGRESS_ALLOW_PORTS',
    kind: {
      type: 'string',
      pattern: /^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/,
      shape: 'ports or ranges, e.g. 2525,10143-10993',
    },
    description:
      'ports allowed for tenant-given servers besides 25, 143, 465, 587, 993 (mail) and 443 (https)',
  },
  {
    name: 'MAIL_ALLOW_PLAINTEXT',
    kind: { type: 'bool' },
    default: 'false',
    description:
      "production only: honour a mailbox's allow_plaintext (IMAP/SMTP without TLS when the server offers no STARTTLS). Outside production the opt-in alone suffices",
  },
] as const satisfies readonly Variable[];
