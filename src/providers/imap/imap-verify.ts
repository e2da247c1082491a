// Checks IMAP and SMTP settings before they are saved, and turns failures into 422 errors the
// person typing the settings can act on. Messages name the problem, never echo server text
// (which can contain addresses) or credentials.
import type { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';

import { AppError } from '../../errors.js';
import type { ProviderLogger } from '../mail-provider.js';
import { closeQuietly, connectImap } from './imap-client.js';
import { pinServer, type ResolvedImapSettings, smtpTransportOptions } from './imap-settings.js';

export type VerifyErrorCode =
  | 'imap_auth_failed'
  | 'imap_tls_failed'
  | 'imap_unreachable'
  | 'imap_folder_missing'
  | 'smtp_auth_failed'
  | 'smtp_tls_failed'
  | 'smtp_unreachable'
  | 'imap_starttls_unavailable'
  | 'smtp_starttls_unavailable';

const messages: Record<VerifyErrorCode, string> = {
  imap_auth_failed: 'The IMAP server rejected the user name or password.',
  imap_tls_failed:
    'A secure (TLS) connection to the IMAP server could not be established; check the port, the TLS setting and the server certificate.',
  imap_unreachable: 'The IMAP server could not be reached at this host and port.',
  imap_folder_missing: 'The IMAP folder to read from does not exist.',
  smtp_auth_failed: 'The SMTP server rejected the user name or password.',
  smtp_tls_failed:
    'A secure (TLS) connection to the SMTP server could not be established; check the port, the TLS setting and the server certificate.',
  smtp_unreachable: 'The SMTP server could not be reached at this host and port.',
  imap_starttls_unavailable:
    'The IMAP server did not offer STARTTLS on this plain connection, so no password was sent. Use tls: true (usually port 993), or allow_plaintext if the server really has no TLS.',
  smtp_starttls_unavailable:
    'The SMTP server did not accept STARTTLS on this plain connection, so no password was sent. Use tls: true (usually port 465), or allow_plaintext if the server really has no TLS.',
};

export function verifyError(
  code: VerifyErrorCode,
  cause?: unknown,
  extra?: Record<string, unknown>,
): AppError {
  const err = new AppError(code, messages[code], extra, 422);
  if (cause !== undefined) err.cause = cause;
  return err;
}

const TLS_CODES =
  /^(ERR_SSL_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_|ClosedAfterConnectTLS|UPGRADE_TIMEOUT|ETLS)/;
const TLS_TEXT = /\b(ssl|tls|certificate|self[- ]signed|wrong version number|handshake)\b/i;

function looksLikeTls(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && TLS_CODES.test(e.code)) return true;
  if (typeof e.message === 'string' && TLS_TEXT.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err && looksLikeTls(e.cause);
}

export function mapImapConnectError(err: unknown, secure: boolean): AppError {
  const e = err as { authenticationFailed?: unknown; code?: unknown } | null;
  if (e?.authenticationFailed === true) return verifyError('imap_auth_failed', err);
  // imapflow's refusal when STARTTLS is required (doSTARTTLS) and not offered or not possible.
  if (
    (e as { tlsFailed?: unknown } | null)?.tlsFailed === true &&
    /STARTTLS/.test(String((e as { message?: unknown }).message))
  )
    return verifyError('imap_starttls_unavailable', err);
  // A port that accepts TCP but stays silent on a plain connection is nearly always an
  // implicit-TLS port (993) with TLS switched off: say so rather than "unreachable".
  if (e?.code === 'GREETING_TIMEOUT')
    return verifyError(secure ? 'imap_unreachable' : 'imap_tls_failed', err);
  if (e?.code === 'CONNECT_TIMEOUT') return verifyError('imap_unreachable', err);
  if (looksLikeTls(err)) return verifyError('imap_tls_failed', err);
  return verifyError('imap_unreachable', err);
}

export function mapSmtpError(err: unknown): AppError {
  const e = err as { code?: unknown; responseCode?: unknown } | null;
  if (
    e?.code === 'EAUTH' ||
    e?.code === 'ENOAUTH' ||
    e?.responseCode === 535 ||
    e?.responseCode === 534
  ) {
    return verifyError('smtp_auth_failed', err);
  }
  if (e?.code === 'ETLS' && (e as { command?: unknown }).command === 'STARTTLS')
    return verifyError('smtp_starttls_unavailable', err);
  if (looksLikeTls(err)) return verifyError('smtp_tls_failed', err);
  return verifyError('smtp_unreachable', err);
}

/** Finds the folder flagged \Sent (RFC 6154); falls back to a folder literally named 'Sent', else null. */
export async function detectSentFolder(client: ImapFlow): Promise<string | null> {
  const folders = await client.list();
  const special = folders.find((f) => f.specialUse === '\\Sent');
  if (special) return special.path;
  const named = folders.find(
    (f) => f.path.toLowerCase() === 'sent' || f.name.toLowerCase() === 'sent',
  );
  return named?.path ?? null;
}

/** Opens `folder` read-only; a missing folder becomes imap_folder_missing. */
export async function checkFolder(client: ImapFlow, folder: string): Promise<void> {
  try {
    await client.mailboxOpen(folder, { readOnly: true });
  } catch (err) {
    if ((err as { mailboxMissing?: unknown }).mailboxMissing === true) {
      throw verifyError('imap_folder_missing', err, { folder });
    }
    throw err;
  }
}

export async function verifySmtp(s: ResolvedImapSettings): Promise<void> {
  const transport = nodemailer.createTransport(smtpTransportOptions(s, await pinServer(s, 'smtp')));
  try {
    await transport.verify();
  } catch (err) {
    throw mapSmtpError(err);
  } finally {
    transport.close();
  }
}

export interface VerifyResult {
  address: string;
  sentFolder: string | null;
  capabilities: { idle: boolean; condstore: boolean };
}

/** Logs in to IMAP (checking the ingest folder) and to SMTP. Runs both even when IMAP is fine, and
 *  reports the IMAP problem first since that is the one a user fixes first. */
export async function verifyImapAndSmtp(
  s: ResolvedImapSettings,
  logger?: ProviderLogger,
): Promise<VerifyResult> {
  let client: ImapFlow;
  try {
    client = await connectImap(s, logger);
  } catch (err) {
    throw err instanceof AppError ? err : mapImapConnectError(err, s.imap.secure);
  }
  let sentFolder: string | null;
  let capabilities: VerifyResult['capabilities'];
  try {
    await checkFolder(client, s.folder);
    sentFolder = s.sentFolder ?? (await detectSentFolder(client));
    capabilities = {
      idle: client.capabilities.has('IDLE'),
      condstore: client.capabilities.has('CONDSTORE'),
    };
  } catch (err) {
    throw err instanceof AppError ? err : mapImapConnectError(err, s.imap.secure);
  } finally {
    await closeQuietly(client);
  }
  await verifySmtp(s);
  return { address: s.address, sentFolder, capabilities };
}
