// What the IMAP integration tests start from: a real Dovecot (null when it is not installed, and the
// tests skip), an SMTP sink to send through, and the app on its own database with one tenant. The
// call registers the hooks; the fields are set once beforeAll has run, and afterAll stops it all.
import { afterAll, beforeAll } from 'vitest';

import { syncMailbox } from '../../src/sync/sync-mailbox.js';
import { makeTestApp, type TestApp } from './app.js';
import { type DovecotHandle, startDovecot } from './dovecot.js';
import { localMailEnv } from './local-mail.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';
import { bearer, createTenant, operatorKey, testKeyring } from './tenants.js';

export interface ImapTestbed {
  dovecot: DovecotHandle | null;
  /** Appended to a describe title: says why it was skipped. */
  skipReason: string;
  t: TestApp;
  sink: SmtpSink;
  tenant: Awaited<ReturnType<typeof createTenant>>;
}

export async function imapTestbed(env: Record<string, string> = {}): Promise<ImapTestbed> {
  const dovecot = await startDovecot();
  const bed = {
    dovecot,
    skipReason: dovecot ? '' : ' (skipped: dovecot not installed)',
  } as ImapTestbed;
  beforeAll(async () => {
    if (!dovecot) return;
    bed.t = await makeTestApp({
      INLET_OPERATOR_KEY: operatorKey,
      INLET_MASTER_KEYS: testKeyring(),
      ...localMailEnv,
      ...env,
    });
    bed.sink = await startSmtpSink({ users: { sender: 'sender-pass' } });
    bed.tenant = await createTenant(bed.t, 'Acme');
  });
  afterAll(async () => {
    await bed.t?.close();
    await bed.sink?.close();
    await dovecot?.stop();
  });
  return bed;
}

/** POST /v1/mailboxes as the bed's tenant. */
export const postMailbox = (bed: ImapTestbed, body: unknown) =>
  bed.t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: bearer(bed.tenant.token),
    payload: body as object,
  });

export const getMailboxOf = async (bed: ImapTestbed, id: string) =>
  (
    await bed.t.app.inject({
      method: 'GET',
      url: `/v1/mailboxes/${id}`,
      headers: bearer(bed.tenant.token),
    })
  ).json();

/** One sync run in pages of 7, so a backlog of a few dozen spans several pages. */
export const syncSmallPages = (bed: ImapTestbed, id: string) =>
  syncMailbox({ ...bed.t.container, pageSize: 7 }, bed.tenant.id, id);
