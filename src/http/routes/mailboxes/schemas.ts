import { Type } from 'typebox';

import { type ProviderKind, providerKinds } from '../../../providers/provider-kind.js';
import { Timestamp, Uuid } from '../../schemas.js';

const ErrorClass = Type.Union([
  Type.Literal('auth_revoked'),
  Type.Literal('rate_limited'),
  Type.Literal('transient'),
  Type.Literal('cursor_expired'),
  Type.Literal('permanent'),
]);

export const MailboxSync = Type.Object({
  progress: Type.Union([
    Type.Object({
      done: Type.Integer({
        description: 'Messages of the initial backfill (or resync) handled so far',
      }),
      total: Type.Union([Type.Integer(), Type.Null()], {
        description: 'null while still counting',
      }),
    }),
    Type.Null(),
  ]),
  last_sync_at: Type.Union([Timestamp, Type.Null()], {
    description: 'When the last sync finished',
  }),
  lag_seconds: Type.Union([Type.Number(), Type.Null()], {
    description:
      'Arrival at the mail server to ticket, for the newest message of the last sync that stored new mail',
  }),
  last_error_class: Type.Union([ErrorClass, Type.Null()], {
    description: 'Class of the last sync failure; compare last_error_at with last_sync_at',
  }),
  last_error_at: Type.Union([Timestamp, Type.Null()]),
});

const PushStop = Type.Union([
  Type.Literal('pending'),
  Type.Literal('stopped'),
  Type.Literal('failed'),
  Type.Literal('not_applicable'),
]);
const GrantRevoke = Type.Union([
  Type.Literal('pending'),
  Type.Literal('revoked'),
  Type.Literal('not_revocable'),
  Type.Literal('failed'),
  Type.Literal('not_applicable'),
]);

export const MailboxDeletion = Type.Object(
  {
    requested_at: Timestamp,
    requested_by: Type.String({
      description: 'Actor that asked for the disconnect (key:<prefix>, operator, system:<job>)',
    }),
    purge_after: Timestamp,
    push_stop: Type.Union([PushStop], {
      description:
        'Provider push channel (Gmail watch) stopped; not_applicable for IMAP and imports',
    }),
    push_error: Type.Union([Type.String(), Type.Null()], {
      description: 'Error class when push_stop is failed (e.g. timeout, transient)',
    }),
    grant_revoke: Type.Union([GrantRevoke], {
      description:
        'OAuth grant revoked at the provider; not_revocable when the provider lets no app revoke it (Microsoft 365 delegated consent: Inlet cleared every token, a tenant admin removes the consent); not_applicable for password-based IMAP and imports',
    }),
    grant_error: Type.Union([Type.String(), Type.Null()], {
      description: 'Error class when grant_revoke is failed',
    }),
    key_destroyed_at: Type.Union([Timestamp, Type.Null()], {
      description:
        'Data key destroyed: from then on no copy of the content, backups included, can be decrypted',
    }),
    purge_started_at: Type.Union([Timestamp, Type.Null()]),
    rows_purged: Type.Record(Type.String(), Type.Integer(), {
      description: 'Rows deleted per table so far',
    }),
    completed_at: Type.Union([Timestamp, Type.Null()], {
      description: 'Every row of the mailbox deleted',
    }),
  },
  { description: 'Deletion receipt of a disconnected mailbox; holds no content' },
);

export const Mailbox = Type.Object(
  {
    id: Uuid,
    provider: Type.Unsafe<ProviderKind>(Type.Union(providerKinds.map((k) => Type.Literal(k)))),
    status: Type.Union([
      Type.Literal('active'),
      Type.Literal('reauth_required'),
      Type.Literal('error'),
      Type.Literal('disconnecting'),
      Type.Literal('disconnected'),
    ]),
    address: Type.Union([Type.String(), Type.Null()], {
      description: 'null once the mailbox data was destroyed',
    }),
    display_name: Type.Union([Type.String(), Type.Null()]),
    send_granted: Type.Boolean({
      description:
        "false when the provider's latest token for this mailbox lacks the send scope (gmail.send, Mail.Send), for instance after the user unticked it: mail is still ingested, replies are refused with 409 mailbox_send_not_granted until a consent that grants sending",
    }),
    created_at: Timestamp,
    sync: Type.Optional(
      Type.Union([MailboxSync, Type.Null()], {
        description: 'Sync state of a remote mailbox; null for local ones',
      }),
    ),
    deletion: Type.Optional(
      Type.Union([MailboxDeletion, Type.Null()], {
        description: 'Present once a disconnect was requested',
      }),
    ),
  },
  { $id: 'Mailbox' },
);

const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:\\[\\]-]+$' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** IMAP and SMTP server settings have the same shape; only what `tls: true` means differs. */
const server = (implicitTls: string) =>
  Type.Object(
    {
      host: Host,
      port: Port,
      tls: Type.Boolean({
        description: `true: implicit TLS (${implicitTls}); false: STARTTLS, which the server must offer`,
      }),
      allow_plaintext: Type.Optional(
        Type.Boolean({
          description:
            'With tls false: accept a server that offers no STARTTLS, sending the password unencrypted. Refused (plaintext_not_allowed) in production unless the operator sets MAIL_ALLOW_PLAINTEXT',
        }),
      ),
      user: Type.String({ minLength: 1, maxLength: 320 }),
      password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, writeOnly: true })),
      accessToken: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 8192,
          writeOnly: true,
          description: 'OAuth 2.0 access token (XOAUTH2) instead of a password',
        }),
      ),
    },
    { additionalProperties: false },
  );

const ImapServer = server('993');
const SmtpServer = server('465');

export const LocalMailboxBody = Type.Object(
  {
    provider: Type.Literal('local', {
      description: 'A mailbox fed by `inlet import` (no remote server)',
    }),
    address: Type.String({ format: 'email', maxLength: 320 }),
    display_name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const ImapMailboxBody = Type.Object(
  {
    provider: Type.Literal('imap', {
      description: 'An IMAP/SMTP mailbox; Inlet logs in to both servers before saving anything',
    }),
    imap: ImapServer,
    smtp: SmtpServer,
    address: Type.Optional(
      Type.String({
        format: 'email',
        maxLength: 320,
        description: 'Mailbox address; defaults to the IMAP user name',
      }),
    ),
    display_name: Type.Optional(Type.String({ maxLength: 200 })),
    folder: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        description: 'Folder to ingest from (default INBOX)',
      }),
    ),
    mark_seen: Type.Optional(
      Type.Boolean({
        description:
          'Flag ingested messages \\Seen (default false). Inlet never deletes or moves mail.',
      }),
    ),
    backfill: Type.Optional(
      Type.Object(
        {
          days: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 3650,
              description: 'Only messages received in the last N days (default 30)',
            }),
          ),
          max_messages: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 1_000_000,
              description: 'At most the newest N messages (default 1000)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const CreateMailboxBody = Type.Union([LocalMailboxBody, ImapMailboxBody]);

export const ImapCredentialsBody = Type.Object(
  {
    imap: ImapServer,
    smtp: SmtpServer,
  },
  {
    additionalProperties: false,
    description:
      'New server settings for an IMAP mailbox; address, folder and sync position are kept',
  },
);
