// Builds connected ImapFlow instances. imapflow logs protocol traffic (which includes message
// bytes and, for some servers, addresses), so only warnings/errors pass, reduced to fields that
// carry no mail content or credentials.
import { ImapFlow } from 'imapflow';

import type { ProviderLogger } from '../mail-provider.js';
import { imapFlowOptions, pinServer, type ResolvedImapSettings } from './imap-settings.js';
import { trackUidValidity } from './imap-uidvalidity.js';

/** Per-connection options: timeouts, and the largest message (INGEST_MAX_MESSAGE_BYTES) a FETCH
 *  literal may carry. */
export interface ClientLimits {
  maxIdleTime?: number;
  socketTimeout?: number;
  maxMessageBytes?: number;
}

const SAFE_FIELDS = [
  'cid',
  'code',
  'serverResponseCode',
  'responseStatus',
  'host',
  'port',
  'secure',
  'path',
] as const;

function pick(entry: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (entry === null || typeof entry !== 'object') return out;
  const e = entry as Record<string, unknown>;
  for (const k of SAFE_FIELDS)
    if (typeof e[k] === 'string' || typeof e[k] === 'number' || typeof e[k] === 'boolean')
      out[k] = e[k];
  const err = e.err as Record<string, unknown> | undefined;
  if (err && typeof err === 'object' && typeof err.code === 'string') out.errCode = err.code;
  return out;
}

/** A pino-like logger for imapflow that drops debug/trace and strips everything but safe fields. */
export function filteredImapLogger(logger: ProviderLogger | undefined): object | false {
  if (!logger) return false;
  const noop = () => undefined;
  return {
    trace: noop,
    debug: noop,
    info: noop,
    warn: (entry: unknown) => logger.warn({ imap: pick(entry) }, 'imap warning'),
    error: (entry: unknown) => logger.error({ imap: pick(entry) }, 'imap error'),
  };
}

/** A client for the egress-checked address of the IMAP server (EgressRefused when refused). */
export async function newImapClient(
  s: ResolvedImapSettings,
  logger: ProviderLogger | undefined,
  limits: ClientLimits = {},
): Promise<ImapFlow> {
  const target = await pinServer(s, 'imap');
  const { maxMessageBytes, ...extra } = limits;
  const client = new ImapFlow({
    ...imapFlowOptions(s, filteredImapLogger(logger), target, maxMessageBytes),
    ...extra,
  } as ConstructorParameters<typeof ImapFlow>[0]);
  trackUidValidity(client);
  // Without a listener an emitted 'error' would crash the process; the close that follows is what callers watch.
  client.on('error', (err: unknown) =>
    logger?.warn({ errCode: (err as { code?: unknown })?.code ?? null }, 'imap connection error'),
  );
  return client;
}

/** Connects a fresh client; the caller owns it. */
export async function connectImap(
  s: ResolvedImapSettings,
  logger: ProviderLogger | undefined,
  limits: ClientLimits = {},
): Promise<ImapFlow> {
  const client = await newImapClient(s, logger, limits);
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw err;
  }
  return client;
}

export async function closeQuietly(client: ImapFlow | null): Promise<void> {
  if (!client) return;
  if (client.usable) {
    await Promise.race([
      client.logout().catch(() => undefined),
      new Promise((r) => setTimeout(r, 2000).unref()),
    ]);
  }
  client.close();
}
