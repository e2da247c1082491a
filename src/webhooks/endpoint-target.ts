// Where a webhook may be sent. The URL is checked when an endpoint is created or changed (a clear 400)
// and again, address by address, when each delivery connects: the connection goes to the address
// that was checked, so a DNS answer that changes between check and connect (rebinding) cannot reach
// an internal service. Loopback, private, link-local (cloud metadata), CGNAT and other special ranges
// are refused unless the operator allows private targets; https is required in production.
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors.js';

export interface TargetPolicy {
  /** NODE_ENV=production: https only. */
  httpsOnly: boolean;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: loopback and private ranges allowed (development, tests, in-cluster receivers). */
  allowPrivate: boolean;
}

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['::ffff:0:0', 96], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6 && /^::ffff:/i.test(address)) return isPublicAddress(address.slice(7));
  return !blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const refuse = (detail: string) => new AppError('validation_failed', detail, { errors: [{ field: 'url', message: detail }] });

/** Syntax and scheme of an endpoint URL (no DNS). */
export function checkEndpointUrl(raw: string, policy: TargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('The webhook URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.httpsOnly)) throw refuse(policy.httpsOnly ? 'Webhook URLs must use https.' : 'Webhook URLs must use https or http.');
  if (url.username || url.password) throw refuse('Webhook URLs must not carry credentials.');
  if (url.hash) throw refuse('Webhook URLs must not have a fragment.');
  return url;
}

/** Every address the host resolves to, refused when one of them is not a public address (and private ones are not allowed). */
export async function resolveTarget(url: URL, policy: TargetPolicy): Promise<{ address: string; family: number }[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await dnsLookup(host, { all: true, verbatim: true }).catch(() => {
    throw refuse('The webhook host does not resolve.');
  });
  if (addresses.length === 0) throw refuse('The webhook host does not resolve.');
  if (!policy.allowPrivate) {
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad) throw refuse('The webhook URL points at a loopback, private or reserved address; Inlet does not send there.');
  }
  return addresses;
}
