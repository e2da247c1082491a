// Decides whether Inlet may open a connection that a tenant chose (an IMAP/SMTP server, later a
// webhook URL). A tenant must not be able to point Inlet at the cluster network (databases, clamd,
// cloud metadata, Inlet itself): the host is resolved once, every address it resolves to is checked,
// and the caller connects to the checked address (pinned), keeping the name only for TLS (SNI and
// certificate check). Checking the name and letting the library resolve again would let a rebinding
// DNS server answer "public" to the check and "127.0.0.1" to the connect.
//
// Refusals all carry one code and one message whatever the reason (private address, port, DNS),
// so the answer says nothing about what listens where. The reason goes to the log only.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

import { AppError, type ErrorCode } from '../errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}
/** Resolves a host name to every address it has; tests inject a rebinding one. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface EgressPolicy {
  /** Networks (CIDR or single address) the operator allows even though they are private or special. */
  allowNetworks: string[];
  /** Host names the operator allows whatever they resolve to (exact, or `*.example.com`). */
  allowHosts: string[];
  /** Extra ports (single or `from-to`) allowed on top of the usual ones. */
  allowPorts: Array<[number, number]>;
  /** Whether a mailbox's explicit opt-in to a mail server without TLS is honoured (MAIL_ALLOW_PLAINTEXT;
   *  always outside production). Without it a plain (tls: false) connection must upgrade with STARTTLS. */
  allowPlaintext?: boolean;
}

export const strictPolicy: EgressPolicy = Object.freeze({
  allowNetworks: [],
  allowHosts: [],
  allowPorts: [],
});

/** IMAP 143/993, SMTP submission 587/465 and relay 25 (some self-hosted servers submit there). */
export const MAIL_PORTS: readonly number[] = [25, 143, 465, 587, 993];
export const HTTPS_PORTS: readonly number[] = [443];

export interface PinnedTarget {
  /** The checked address to connect to. */
  address: string;
  family: 4 | 6;
  port: number;
  /** The name the user gave, for SNI and certificate checks; null when it was an IP literal. */
  servername: string | null;
}

/** Thrown for every refusal; `reason` is for logs, never for the caller. */
export class EgressRefused extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly reason: string,
  ) {
    super(code, message, undefined, 422);
  }
}

export const MAIL_REFUSED_CODE: ErrorCode = 'mail_server_unreachable';
const mailMessage =
  'No mail server can be reached at this host and port. Servers on private or local networks must be allowed by the operator (EGRESS_ALLOW_NETWORKS, EGRESS_ALLOW_PORTS).';
export const URL_REFUSED_CODE: ErrorCode = 'url_not_allowed';
const urlMessage =
  'This URL cannot be used: it must be https on port 443 and reach a public address (or one the operator allows).';

// Addresses a tenant-chosen connection may never reach by default. IPv6 outside 2000::/3 (global
// unicast) is refused wholesale; inside it, the ranges that embed or tunnel IPv4 (6to4, Teredo,
// NAT64) are refused too, since they can smuggle a private IPv4 address.
const v4Special = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
  // Azure's wire server / metadata endpoint sits on a public address.
  ['168.63.129.16', 32],
] as const;
const v6Special = [
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['3fff::', 20],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
] as const;
const v4Blocked = new BlockList();
for (const [net, bits] of v4Special) v4Blocked.addSubnet(net, bits, 'ipv4');
const v6Blocked = new BlockList();
for (const [net, bits] of v6Special) v6Blocked.addSubnet(net, bits, 'ipv6');
const v6Global = new BlockList();
v6Global.addSubnet('2000::', 3, 'ipv6');

/** Names that reach metadata services whatever DNS says. */
const metadataNames =
  /^(metadata|metadata\.google\.internal|metadata\.goog|instance-data(\.ec2\.internal)?)$/i;

/** Why an address is special, or null when it is an ordinary public unicast address. */
export function specialAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return v4Blocked.check(address, 'ipv4') ? 'special IPv4 range' : null;
  if (family !== 6) return 'not an IP address';
  const bare = address.replace(/%.*$/, '');
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible and other forms outside global unicast.
  if (!v6Global.check(bare, 'ipv6'))
    return 'IPv6 outside global unicast (loopback, mapped, link-local, ULA, multicast)';
  return v6Blocked.check(bare, 'ipv6') ? 'special IPv6 range' : null;
}

function normaliseHost(host: string): string {
  return host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

function hostAllowed(policy: EgressPolicy, host: string): boolean {
  return policy.allowHosts.some((h) => {
    const want = h.toLowerCase();
    return want.startsWith('*.') ? host.endsWith(want.slice(1)) : host === want;
  });
}

function networkList(policy: EgressPolicy): BlockList {
  const list = new BlockList();
  for (const entry of policy.allowNetworks) {
    const [net, bits] = entry.split('/');
    const family = isIP(net!) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(
      net!,
      bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits),
      family,
    );
  }
  return list;
}

export const systemResolver: Resolver = async (host) => {
  const all = await lookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface CheckOptions {
  policy?: EgressPolicy;
  resolver?: Resolver;
}

/** Why (host, port) is refused under `policy`, or the pinned target. Every resolved address must pass:
 *  one private answer among public ones refuses the name. */
async function check(
  hostIn: string,
  port: number,
  usualPorts: readonly number[],
  opts: CheckOptions,
): Promise<PinnedTarget | string> {
  const policy = opts.policy ?? currentPolicy;
  const host = normaliseHost(hostIn);
  if (!host || host.includes('\0')) return 'empty host';
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'invalid port';
  if (!usualPorts.includes(port) && !policy.allowPorts.some(([lo, hi]) => port >= lo && port <= hi))
    return `port ${port} not allowed`;
  const literal = isIP(host) !== 0;
  if (!literal && metadataNames.test(host)) return 'metadata host name';
  let addresses: ResolvedAddress[];
  try {
    addresses = literal
      ? [{ address: host, family: isIP(host) as 4 | 6 }]
      : await (opts.resolver ?? systemResolver)(host);
  } catch {
    return 'name does not resolve';
  }
  if (addresses.length === 0) return 'name does not resolve';
  const trustedName = !literal && hostAllowed(policy, host);
  const allowed = networkList(policy);
  for (const a of addresses) {
    if (trustedName) continue;
    const why = specialAddress(a.address);
    if (why && !allowed.check(a.address.replace(/%.*$/, ''), a.family === 6 ? 'ipv6' : 'ipv4'))
      return `${why} (${a.family === 6 ? 'IPv6' : 'IPv4'})`;
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family, port, servername: literal ? null : host };
}

/** The address to connect to for a mail server (IMAP or SMTP), or EgressRefused (mail_server_unreachable). */
export async function checkMailServer(
  host: string,
  port: number,
  opts: CheckOptions = {},
): Promise<PinnedTarget> {
  const r = await check(host, port, MAIL_PORTS, opts);
  if (typeof r === 'string') throw new EgressRefused(MAIL_REFUSED_CODE, mailMessage, r);
  return r;
}

/** For a tenant-given https URL (webhooks): https only, port 443 unless the operator allows others,
 *  and the same address rules. The caller connects to `address` with `servername` for TLS. */
export async function checkHttpsUrl(
  raw: string,
  opts: CheckOptions = {},
): Promise<PinnedTarget & { url: URL }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EgressRefused(URL_REFUSED_CODE, urlMessage, 'not a URL');
  }
  if (url.protocol !== 'https:') throw new EgressRefused(URL_REFUSED_CODE, urlMessage, 'not https');
  if (url.username || url.password)
    throw new EgressRefused(URL_REFUSED_CODE, urlMessage, 'credentials in URL');
  const r = await check(url.hostname, url.port === '' ? 443 : Number(url.port), HTTPS_PORTS, opts);
  if (typeof r === 'string') throw new EgressRefused(URL_REFUSED_CODE, urlMessage, r);
  return { ...r, url };
}

/** Parses the operator's lists (comma separated); throws a readable message on a bad entry. */
export function parsePolicy(networks: string | undefined, ports: string | undefined): EgressPolicy {
  const allowNetworks: string[] = [];
  const allowHosts: string[] = [];
  for (const raw of (networks ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [net, bits, extra] = raw.split('/');
    const fam = isIP(net!);
    if (fam !== 0) {
      const max = fam === 6 ? 128 : 32;
      if (
        extra !== undefined ||
        (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max))
      )
        throw new Error(`bad network ${raw}`);
      allowNetworks.push(raw);
    } else if (
      bits === undefined &&
      /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(raw)
    ) {
      allowHosts.push(raw.toLowerCase());
    } else {
      throw new Error(`bad network or host ${raw}`);
    }
  }
  const allowPorts: Array<[number, number]> = [];
  for (const raw of (ports ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(raw);
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || lo < 1 || hi > 65535 || lo > hi) throw new Error(`bad port ${raw}`);
    allowPorts.push([lo, hi]);
  }
  return { allowNetworks, allowHosts, allowPorts };
}

// The policy is process-wide: it comes from the operator's configuration, is set once at boot by
// the container, and every connection path (verify, sync, IDLE reconnects, send) reads it without
// each caller threading it through. Until set, the strict default applies.
let currentPolicy: EgressPolicy = strictPolicy;

export function setEgressPolicy(policy: EgressPolicy): void {
  currentPolicy = policy;
}

export function egressPolicy(): EgressPolicy {
  return currentPolicy;
}
