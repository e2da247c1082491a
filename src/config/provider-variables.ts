// Google (Gmail) and Microsoft 365 provider variables.
import { httpUrl, type Variable } from './kinds.js';

export const providerVariables = [
  {
    name: 'GOOGLE_CLIENT_ID',
    kind: { type: 'string', pattern: /^[A-Za-z0-9._-]{1,200}$/, shape: 'an OAuth client id' },
    description:
      'Google OAuth client (web application) for Gmail mailboxes; unset = Gmail connect disabled',
  },
  {
    name: 'GOOGLE_CLIENT_SECRET',
    kind: { type: 'string' },
    secret: true,
    description: 'secret of GOOGLE_CLIENT_ID',
  },
  {
    name: 'GOOGLE_OAUTH_AUTH_URL',
    kind: httpUrl,
    default: 'https://accounts.google.com/o/oauth2/v2/auth',
    description: 'Google consent page (override only for tests)',
  },
  {
    name: 'GOOGLE_OAUTH_TOKEN_URL',
    kind: httpUrl,
    default: 'https://oauth2.googleapis.com/token',
    description: 'Google token endpoint (override only for tests)',
  },
  {
    name: 'GOOGLE_OAUTH_REVOKE_URL',
    kind: httpUrl,
    default: 'https://oauth2.googleapis.com/revoke',
    description: 'Google token revocation endpoint (override only for tests)',
  },
  {
    name: 'GOOGLE_GMAIL_API_URL',
    kind: httpUrl,
    default: 'https://gmail.googleapis.com/',
    description: 'Gmail API root (override only for tests)',
  },
  {
    name: 'GOOGLE_JWKS_URL',
    kind: httpUrl,
    default: 'https://www.googleapis.com/oauth2/v3/certs',
    description: 'keys that sign Pub/Sub push tokens (override only for tests)',
  },
  {
    name: 'GOOGLE_PUBSUB_TOPIC',
    kind: {
      type: 'string',
      pattern: /^projects\/[^/]+\/topics\/[^/]+$/,
      shape: 'projects/<project>/topics/<topic>',
    },
    description:
      'Pub/Sub topic Gmail watches publish to (gmail-api-push@system.gserviceaccount.com needs publish rights); unset = no push, polling only',
  },
  {
    name: 'GOOGLE_PUSH_AUDIENCE',
    kind: { type: 'string' },
    description:
      'aud claim of push tokens, as set on the push subscription; defaults to INLET_PUBLIC_URL/v1/webhooks/google/pubsub',
  },
  {
    name: 'GOOGLE_PUSH_SERVICE_ACCOUNT',
    kind: { type: 'string', pattern: /^[^\s@]+@[^\s@]+$/, shape: 'a service-account email' },
    description:
      'service account the push subscription authenticates as; pushes signed for any other account are refused',
  },
  {
    name: 'GMAIL_POLL_MINUTES',
    kind: { type: 'int', min: 1, max: 60 },
    default: '5',
    description:
      'catch-up sync of every active Gmail mailbox every N minutes, even while push works (pushes can be dropped)',
  },
  {
    name: 'MICROSOFT_CLIENT_ID',
    kind: {
      type: 'string',
      pattern: /^[0-9a-fA-F-]{36}$/,
      shape: 'an Entra ID application (client) id',
    },
    description:
      'Entra ID app registration for Microsoft 365 mailboxes; unset = Microsoft connect disabled',
  },
  {
    name: 'MICROSOFT_CLIENT_SECRET',
    kind: { type: 'string' },
    secret: true,
    description: 'client secret of MICROSOFT_CLIENT_ID',
  },
  {
    name: 'MICROSOFT_AUTHORITY',
    kind: { type: 'url', protocols: ['https:'] },
    default: 'https://login.microsoftonline.com/organizations',
    description:
      'Entra ID authority: organizations (any work or school account), a tenant id or domain for a single-tenant app, or a sovereign cloud host',
  },
  {
    name: 'MICROSOFT_GRAPH_URL',
    kind: { type: 'url', protocols: ['https:'] },
    default: 'https://graph.microsoft.com',
    description:
      'Microsoft Graph root (sovereign clouds: https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn …)',
  },
  {
    name: 'MICROSOFT_SUBSCRIPTION_MINUTES',
    kind: { type: 'int', min: 45, max: 10080 },
    default: '10070',
    description:
      'lifetime asked for each Graph inbox subscription (Outlook allows at most 10,080 minutes); renewed two days before it ends',
  },
  {
    name: 'MICROSOFT_POLL_MINUTES',
    kind: { type: 'int', min: 1, max: 60 },
    default: '5',
    description:
      'catch-up sync of every active Microsoft 365 mailbox every N minutes, even while notifications work (shared mailboxes are only polled)',
  },
  {
    name: 'MICROSOFT_LARGE_REPLIES',
    kind: { type: 'bool' },
    default: 'false',
    description:
      "also ask for Mail.ReadWrite so replies over Graph's 4 MB request limit can be sent through a draft and upload sessions; off = such replies fail with rejected_by_provider",
  },
] as const satisfies readonly Variable[];
