// Where a webhook may be sent: through the same egress guard as tenant-given mail servers
// (src/net/egress-guard.ts): no loopback, private, link-local/metadata or other special address
// unless the operator allows it (EGRESS_ALLOW_NETWORKS / EGRESS_ALLOW_PORTS), port 443 unless
// allowed. The URL is checked when an endpoint is created or changed (a clear 422) and again at
// every delivery, which connects to the address that was checked (no DNS rebinding in between).
// https is required in production; elsewhere plain http is accepted for local receivers and is
// checked as the same host and port.
import { AppError } from '../errors.js';
import { checkHttpsUrl, type EgressPolicy, type PinnedTarget } from '../net/egress-guard.js';

export interface TargetPolicy {
  /** NODE_ENV=production: https only. */
  httpsOnly: boolean;
  /** The guard's allow-lists; absent = the process-wide policy the container set from configuration. */
  egress?: EgressPolicy;
}

const refuse = (detail: string) =>
  new AppError('validation_failed', detail, { errors: [{ path: '/body/url', message: detail }] });

/** Syntax and scheme of an endpoint URL (no DNS). */
export function checkEndpointUrl(raw: string, policy: TargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('The webhook URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.httpsOnly))
    throw refuse(
      policy.httpsOnly ? 'Webhook URLs must use https.' : 'Webhook URLs must use https or http.',
    );
  if (url.username || url.password) throw refuse('Webhook URLs must not carry credentials.');
  if (url.hash) throw refuse('Webhook URLs must not have a fragment.');
  return url;
}

/** The checked address to connect to, or EgressRefused (422 url_not_allowed). */
export async function resolveTarget(url: URL, policy: TargetPolicy): Promise<PinnedTarget> {
  checkEndpointUrl(url.toString(), policy);
  const asHttps = new URL(url);
  if (url.protocol === 'http:') {
    const port = url.port || '80';
    asHttps.protocol = 'https:';
    asHttps.port = port;
  }
  return checkHttpsUrl(asHttps.toString(), policy.egress ? { policy: policy.egress } : {});
}
