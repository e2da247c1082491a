// Connecting an IMAP/SMTP mailbox: log in to both servers first (nothing is stored when either
// refuses — the provider's 422 codes go straight back to the caller), then in ONE transaction:
// the mailbox row with its address sealed and blind-indexed (one live connection per address per
// tenant), the settings with their secrets sealed under the mailbox's new data key, the wrapped data
// key, the backfill bounds, the first sync job and the audit record.
import { randomUUID } from 'node:crypto';

import { emailBlindIndex, generateDataKey, mailboxAad, seal } from '../../crypto/index.js';
import { AppError, notFound } from '../../errors.js';
import { decryptMailbox, type MailboxView } from '../../mailboxes/mailbox-service.js';
import { reactivate } from '../../mailboxes/status.js';
import type { Db } from '../../store/db.js';
import { insertEvent } from '../../store/event-store.js';
import { findMailbox, insertMailbox } from '../../store/mailbox-store.js';
import { enqueueSync } from '../../sync/sync-jobs.js';
import { readSyncViews, setBackfillLimits, setProgress } from '../../sync/sync-store.js';
import type { Actor } from '../../tenancy/actor.js';
import { audit } from '../../tenancy/audit.js';
import type { KeyService } from '../../tenancy/key-service.js';
import { defaultBackfill } from '../backfill.js';
import { openCredentials, sealCredentials } from '../open-mailbox.js';
import { type ImapAuth, type ImapSettings, resolveImapSettings } from './imap-settings.js';
import { verifyImapAndSmtp, type VerifyResult } from './imap-verify.js';

export interface ServerInput {
  host: string;
  port: number;
  /** true = implicit TLS; false = STARTTLS when offered. */
  tls: boolean;
  user: string;
  password?: string;
  /** OAuth 2.0 access token (XOAUTH2) instead of a password. */
  accessToken?: string;
  /** With tls false: accept a server that offers no STARTTLS (see ImapEndpoint.plaintext). */
  allow_plaintext?: boolean;
}

export interface ImapConnectInput {
  imap: ServerInput;
  smtp: ServerInput;
  /** Sender address; defaults to the IMAP user name when that is an address. */
  address?: string;
  displayName?: string | null;
  folder?: string;
  markSeen?: boolean;
  backfill?: { days?: number | null; maxMessages?: number | null };
}

export interface ImapConnector {
  connect(actor: Actor, input: ImapConnectInput): Promise<MailboxView>;
  /**
   * New server settings (a changed password, a moved server) for an existing IMAP mailbox. Both
   * logins are checked first; then the settings are re-sealed, a `reauth_required` mailbox becomes
   * active again and a sync resumes from the stored cursor — no re-backfill, no duplicates.
   */
  reauthorize(
    actor: Actor,
    mailboxId: string,
    input: Pick<ImapConnectInput, 'imap' | 'smtp'>,
  ): Promise<MailboxView>;
}

const emailLike = /^[^\s@]+@[^\s@]+$/;

function auth(s: ServerInput, which: 'imap' | 'smtp'): ImapAuth {
  if (s.password !== undefined && s.accessToken === undefined)
    return { user: s.user, password: s.password };
  if (s.accessToken !== undefined && s.password === undefined)
    return { user: s.user, accessToken: s.accessToken };
  throw new AppError('validation_failed', `${which}: give exactly one of password or accessToken.`);
}

const plaintext = (s: ServerInput) =>
  s.allow_plaintext === true && !s.tls ? { plaintext: true } : {};

export function toImapSettings(input: ImapConnectInput): ImapSettings {
  const address = input.address ?? input.imap.user;
  if (!emailLike.test(address))
    throw new AppError(
      'validation_failed',
      'address: the IMAP user name is not an email address; give the mailbox address.',
    );
  return {
    imap: {
      host: input.imap.host,
      port: input.imap.port,
      secure: input.imap.tls,
      auth: auth(input.imap, 'imap'),
      ...plaintext(input.imap),
    },
    smtp: {
      host: input.smtp.host,
      port: input.smtp.port,
      secure: input.smtp.tls,
      auth: auth(input.smtp, 'smtp'),
      ...plaintext(input.smtp),
    },
    address,
    folder: input.folder ?? 'INBOX',
    markSeen: input.markSeen ?? false,
    fromName: input.displayName ?? null,
  };
}

export function makeImapConnector(deps: {
  db: Db;
  keys: KeyService;
  verify?: (s: ImapSettings) => Promise<VerifyResult>;
}): ImapConnector {
  const verify = deps.verify ?? ((s: ImapSettings) => verifyImapAndSmtp(resolveImapSettings(s)));
  async function checked(settings: ImapSettings): Promise<VerifyResult> {
    try {
      return await verify(settings);
    } catch (err) {
      if (err instanceof TypeError) throw new AppError('validation_failed', err.message);
      throw err;
    }
  }

  return {
    async reauthorize(actor, mailboxId, input) {
      const current = await deps.db.tenantTx(actor.tenantId, async (ex) => {
        const row = await findMailbox(ex, actor.tenantId, mailboxId);
        if (!row) throw notFound('mailbox');
        if (row.provider !== 'imap')
          throw new AppError(
            'unprocessable',
            'Only IMAP mailboxes take server settings; Gmail re-authorises through its consent flow.',
          );
        const dek = await deps.keys.mailboxKey(ex, actor.tenantId, mailboxId); // 410 once disconnected
        return JSON.parse(
          await openCredentials(
            { ex, purpose: 'reauthorize' },
            dek,
            actor.tenantId,
            mailboxId,
            row.credentials_ct!,
          ),
        ) as ImapSettings;
      });
      const next = toImapSettings({
        ...input,
        address: current.address,
        folder: current.folder,
        markSeen: current.markSeen,
        displayName: current.fromName,
      });
      const result = await checked(next);
      return deps.db.tenantTx(actor.tenantId, async (ex) => {
        const row = await findMailbox(ex, actor.tenantId, mailboxId);
        if (!row || row.status === 'disconnected' || row.status === 'disconnecting')
          throw notFound('mailbox');
        const dek = await deps.keys.mailboxKey(ex, actor.tenantId, mailboxId);
        const credentialsCt = sealCredentials(dek, actor.tenantId, mailboxId, {
          ...next,
          sentFolder: result.sentFolder,
        });
        await reactivate(ex, actor.tenantId, mailboxId, credentialsCt);
        await enqueueSync(ex, actor.tenantId, mailboxId);
        await audit(ex, actor, 'mailbox.reauthorize', 'mailbox', mailboxId, {
          provider: 'imap',
          was: row.status,
        });
        return {
          ...decryptMailbox({ ...row, status: 'active' }, dek),
          sync: (await readSyncViews(ex, actor.tenantId, [mailboxId])).get(mailboxId) ?? null,
        };
      });
    },

    async connect(actor, input) {
      const settings = toImapSettings(input);
      const verified = await checked(settings);
      // Keep what verification learned so sends need not probe again.
      const stored: ImapSettings = { ...settings, sentFolder: verified.sentFolder };
      const address = settings.address!;
      const days = input.backfill?.days === undefined ? defaultBackfill.days : input.backfill.days;
      const max =
        input.backfill?.maxMessages === undefined
          ? defaultBackfill.maxMessages
          : input.backfill.maxMessages;
      return deps.db.tenantTx(actor.tenantId, async (ex) => {
        const id = randomUUID();
        const aad = (field: 'address' | 'display_name') =>
          mailboxAad(`mailboxes.${field}`, actor.tenantId, id);
        const indexKey = await deps.keys.tenantKey(ex, actor.tenantId, 'index');
        const dek = generateDataKey();
        const row = await insertMailbox(ex, {
          id,
          tenantId: actor.tenantId,
          provider: 'imap',
          addressCt: seal(dek, address, aad('address')),
          addressBidx: emailBlindIndex(indexKey.key, address),
          displayNameCt: input.displayName
            ? seal(dek, input.displayName, aad('display_name'))
            : null,
          credentialsCt: sealCredentials(dek, actor.tenantId, id, stored),
        }).catch((err: { code?: string }) => {
          if (err.code === '23505')
            throw new AppError('conflict', 'This address is already connected.');
          throw err;
        });
        await deps.keys.createMailboxKey(ex, actor.tenantId, id, dek);
        await setBackfillLimits(ex, actor.tenantId, id, days, max);
        await setProgress(ex, actor.tenantId, id, 0, null);
        await enqueueSync(ex, actor.tenantId, id);
        await audit(ex, actor, 'mailbox.connect', 'mailbox', id, {
          provider: 'imap',
          idle: verified.capabilities.idle,
          condstore: verified.capabilities.condstore,
        });
        await insertEvent(ex, actor.tenantId, 'mailbox.connected', id, { provider: 'imap' });
        return {
          ...decryptMailbox(row, dek),
          sync: {
            progress: { done: 0, total: null },
            last_sync_at: null,
            lag_seconds: null,
            last_error_class: null,
            last_error_at: null,
          },
        };
      });
    },
  };
}
