// The provider sections of Config, read from already-validated values.
import type { VariableName } from '../config.js';
import type { GoogleConfig, MicrosoftConfig } from './types.js';

type Get = (name: VariableName) => string | undefined;

export function microsoftConfig(get: Get): MicrosoftConfig {
  const id = get('MICROSOFT_CLIENT_ID');
  const secret = get('MICROSOFT_CLIENT_SECRET');
  return {
    client: id && secret ? { id, secret } : null,
    authority: get('MICROSOFT_AUTHORITY')!.replace(/\/$/, ''),
    graphUrl: get('MICROSOFT_GRAPH_URL')!.replace(/\/$/, ''),
    subscriptionMinutes: Number(get('MICROSOFT_SUBSCRIPTION_MINUTES')),
    pollMinutes: Number(get('MICROSOFT_POLL_MINUTES')),
    largeReplies: get('MICROSOFT_LARGE_REPLIES') === 'true',
  };
}

export function googleConfig(get: Get, publicUrl: string): GoogleConfig {
  const id = get('GOOGLE_CLIENT_ID');
  const secret = get('GOOGLE_CLIENT_SECRET');
  return {
    client: id && secret ? { id, secret } : null,
    authUrl: get('GOOGLE_OAUTH_AUTH_URL')!,
    tokenUrl: get('GOOGLE_OAUTH_TOKEN_URL')!,
    revokeUrl: get('GOOGLE_OAUTH_REVOKE_URL')!,
    gmailApiUrl: get('GOOGLE_GMAIL_API_URL')!.replace(/\/?$/, '/'),
    jwksUrl: get('GOOGLE_JWKS_URL')!,
    topicName: get('GOOGLE_PUBSUB_TOPIC') ?? null,
    pushAudience: get('GOOGLE_PUSH_AUDIENCE') ?? `${publicUrl}/v1/webhooks/google/pubsub`,
    pushServiceAccount: get('GOOGLE_PUSH_SERVICE_ACCOUNT') ?? null,
    pollMinutes: Number(get('GMAIL_POLL_MINUTES')),
  };
}
