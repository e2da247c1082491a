// Typed connection settings for an IMAP/SMTP mailbox, as stored (encrypted) with the mailbox.
// Secrets live only in `imap.auth` / `smtp.auth`; nothing in this folder logs them.
import { AppError } from '../../errors.js';
import { checkMailServer, egressPolicy, type PinnedTarget } from '../../net/egress-guard.js';

export type ImapAuth = { user: string; password: string } | { user: string; accessToken: string };

export interface ImapEndpoint {
  host: string;
  port: number;
  /** true = implicit TLS (993/465); false = plain, upgraded with STARTTLS, which the server must offer. */
  secure: boolean;
  /** Opt-in to staying unencrypted when a plain connection's server offers no STARTTLS (credentials
   *  then cross the network readable). Honoured only where the operator allows it (egress policy). */
  plaintext?: boolean;
  auth: ImapAuth;
}

export interface ImapSettings {
  imap: ImapEndpoint;
  smtp: ImapEndpoint;
  /** Mailbox address used as the default sender identity and returned by verify(). Defaults to imap user. */
  address?: string;
  /** Folder to ingest from. */
  folder?: string;
  /** Where sent copies go; auto-detected via SPECIAL-USE \Sent, else 'Sent'. */
  sentFolder?: string | null;
  /** Set \Seen on ingested messages. Off by default: Inlet never changes the user's mailbox unasked. */
  markSeen?: boolean;
  fromName?: string | null;
  /** Extra PEM CA certificates to trust (self-hosted servers with a private CA). Never disables verification. */
  caPem?: string | null;
  /** Override of the "server files sent mail itself" detection (Gmail, Outlook do; Dovecot does not). */
  serverSavesSent?: boolean | null;
}

export interface ResolvedImapSettings extends Required<
  Omit<ImapSettings, 'sentFolder' | 'caPem' | 'fromName' | 'serverSavesSent'>
> {
  sentFolder: string | null;
  caPem: string | null;
  fromName: string | null;
  serverSavesSent: boolean;
}

/** Timeouts that make an unreachable or silent server fail well inside the 10 s a user waits on verify. */
export const CONNECT_TIMEOUT_MS = 8_000;
export const GREETING_TIMEOUT_MS = 8_000;
export const SOCKET_TIMEOUT_MS = 120_000;

/** imapflow buffers a whole literal, line and response before handing it over and by default
 *  accepts 1 GiB of each, so a hostile server could make one connection hold gigabytes. A literal
 *  is capped at INGEST_MAX_MESSAGE_BYTES (the provider is given it; this default is that setting's
 *  highest allowed value): a larger message is never kept, and an honest server's RFC822.SIZE
 *  already lists it as too large, so it is parked without a FETCH. No IMAP line but a huge SEARCH
 *  answer (about 9 bytes per UID) comes near 32 MiB. */
export const MAX_LITERAL_BYTES = 200 * 1024 * 1024;
export const MAX_LINE_BYTES = 32 * 1024 * 1024;

/** A server whose RFC822.SIZE is a little short of the bytes it sends (some count line ends
 *  differently) must not make a message near the limit fail its FETCH: up to an eighth (at least
 *  1 MiB) over the limit is read, and ingest then parks it as too large like any message over
 *  INGEST_MAX_MESSAGE_BYTES. A literal past that is not read: the provider reports the message as
 *  'too_large' (imap-fetch.ts) and the sync parks it unfetched rather than retry it forever. */
export function literalCap(maxMessageBytes: number): number {
  return maxMessageBytes + Math.max(1024 * 1024, Math.ceil(maxMessageBytes / 8));
}

const SAVES_SENT_HOSTS = [
  /(^|\.)gmail\.com$/i,
  /(^|\.)googlemail\.com$/i,
  /(^|\.)office365\.com$/i,
  /(^|\.)outlook\.com$/i,
];

export function resolveImapSettings(s: ImapSettings): ResolvedImapSettings {
  for (const [name, ep] of [
    ['imap', s.imap],
    ['smtp', s.smtp],
  ] as const) {
    if (!ep.host || !Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) {
      throw new TypeError(`${name} host/port are invalid`);
    }
  }
  return {
    imap: s.imap,
    smtp: s.smtp,
    address: s.address ?? s.imap.auth.user,
    folder: s.folder ?? 'INBOX',
    sentFolder: s.sentFolder ?? null,
    markSeen: s.markSeen ?? false,
    fromName: s.fromName ?? null,
    caPem: s.caPem ?? null,
    serverSavesSent: s.serverSavesSent ?? SAVES_SENT_HOSTS.some((re) => re.test(s.smtp.host)),
  };
}

/** Options for `new ImapFlow(...)`; a fresh instance per connection (imapflow cannot reconnect).
 *  `target` is the egress-checked address: the connection goes there, the name stays for TLS. */
export function imapFlowOptions(
  s: ResolvedImapSettings,
  logger: object | false,
  target: PinnedTarget,
  maxMessageBytes = MAX_LITERAL_BYTES,
) {
  const auth =
    'accessToken' in s.imap.auth
      ? { user: s.imap.auth.user, accessToken: s.imap.auth.accessToken }
      : { user: s.imap.auth.user, pass: s.imap.auth.password };
  return {
    host: target.address,
    port: target.port,
    ...(target.servername ? { servername: target.servername } : {}),
    secure: s.imap.secure,
    // A man in the middle can delete STARTTLS from the capability list; without this imapflow would
    // then log in over plain text. Only an allowed per-mailbox opt-in keeps the old fallback.
    ...(s.imap.secure || s.imap.plaintext === true ? {} : { doSTARTTLS: true }),
    auth,
    logger,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    maxLiteralSize: literalCap(maxMessageBytes),
    maxLineLength: MAX_LINE_BYTES,
    maxResponseSize: literalCap(maxMessageBytes) + MAX_LINE_BYTES,
    disableAutoIdle: true,
    ...(s.caPem ? { tls: { ca: [s.caPem] } } : {}),
  };
}

/** Options for nodemailer's SMTP transport, connecting to the egress-checked `target`. */
export function smtpTransportOptions(s: ResolvedImapSettings, target: PinnedTarget) {
  const auth =
    'accessToken' in s.smtp.auth
      ? { type: 'OAuth2' as const, user: s.smtp.auth.user, accessToken: s.smtp.auth.accessToken }
      : { user: s.smtp.auth.user, pass: s.smtp.auth.password };
  return {
    host: target.address,
    port: target.port,
    ...(target.servername ? { servername: target.servername } : {}),
    secure: s.smtp.secure,
    // STARTTLS even when the (possibly stripped) EHLO does not offer it, unless opted out.
    requireTLS: !s.smtp.secure && s.smtp.plaintext !== true,
    auth,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    logger: false,
    debug: false,
    ...(s.caPem ? { tls: { ca: [s.caPem] } } : {}),
  };
}

/** Resolves and checks the IMAP or SMTP server for one connection (see net/egress-guard.ts). Called
 *  before every connect, reconnects included, so a name that starts resolving to a private address
 *  is refused then too. */
export async function pinServer(
  s: ResolvedImapSettings,
  which: 'imap' | 'smtp',
): Promise<PinnedTarget> {
  const ep = s[which];
  if (!ep.secure && ep.plaintext === true && egressPolicy().allowPlaintext !== true) {
    throw new AppError(
      'plaintext_not_allowed',
      `${which}: this installation does not allow mail servers without TLS; use tls: true or a server that offers STARTTLS (the operator can allow it with MAIL_ALLOW_PLAINTEXT).`,
      { field: which },
      422,
    );
  }
  return checkMailServer(ep.host, ep.port);
}
