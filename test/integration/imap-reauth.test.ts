// An IMAP mailbox whose password stops working, against a real Dovecot and PostgreSQL: parked as
// reauth_required without retrying, one event for the helpdesk, resumed with new credentials.
import { describe, expect, it } from 'vitest';

import {
  appendMany,
  changePassword,
  connectBody,
  counts,
  customerMessage,
  newImapUser,
} from '../helpers/imap-mailbox.js';
import { getMailboxOf, imapTestbed, postMailbox, syncSmallPages } from '../helpers/imap-testbed.js';
import { bearer } from '../helpers/tenants.js';

const bed = await imapTestbed();
const { dovecot } = bed;

const connect = (body: unknown) => postMailbox(bed, body);
const getMailbox = (id: string) => getMailboxOf(bed, id);
const sync = (id: string) => syncSmallPages(bed, id);

describe.skipIf(!dovecot)(`IMAP reauthorisation${bed.skipReason}`, () => {
  it('parks the mailbox as reauth_required when the password was changed, without retrying', async () => {
    const u = await newImapUser(dovecot!);
    const { id } = (await connect(connectBody(dovecot!, bed.sink, u))).json();
    await changePassword(dovecot!, u.user, u.password, `changed-${u.password}`);
    expect(await sync(id)).toMatchObject({ status: 'reauth_required' });
    const view = await getMailbox(id);
    expect(view).toMatchObject({
      status: 'reauth_required',
      sync: { last_error_class: 'auth_revoked' },
    });
    // Later triggers do nothing until the mailbox is reconnected.
    expect(await sync(id)).toMatchObject({ status: 'skipped' });
  });

  it('tells the helpdesk when the password stops working: one mailbox.reauth_required event, as for Gmail', async () => {
    const u = await newImapUser(dovecot!);
    const { id } = (await connect(connectBody(dovecot!, bed.sink, u))).json();
    const events = async () =>
      (
        await bed.t.database.db.tx((ex) =>
          ex.query<{ type: string; data: unknown }>(
            `SELECT type, data FROM events WHERE resource_id = $1 AND type = 'mailbox.reauth_required' ORDER BY id`,
            [id],
          ),
        )
      ).rows;
    expect(await sync(id)).toMatchObject({ status: 'synced' });
    expect(await events()).toEqual([]);

    await changePassword(dovecot!, u.user, u.password, `changed-${u.password}`);
    expect(await sync(id)).toMatchObject({ status: 'reauth_required' });
    expect(await events()).toEqual([
      { type: 'mailbox.reauth_required', data: { provider: 'imap' } },
    ]);
    // Later triggers neither sync nor repeat the event.
    expect(await sync(id)).toMatchObject({ status: 'skipped' });
    expect(await events()).toHaveLength(1);
  });

  it('takes new credentials for a reauth_required mailbox and resumes where it stopped, without duplicates', async () => {
    const u = await newImapUser(dovecot!);
    const { id } = (await connect(connectBody(dovecot!, bed.sink, u))).json();
    await appendMany(dovecot!, u, [customerMessage('before').raw]);
    expect(await sync(id)).toMatchObject({ stored: 1 });
    const changed = `changed-${u.password}`;
    await changePassword(dovecot!, u.user, u.password, changed);
    expect(await sync(id)).toMatchObject({ status: 'reauth_required' });
    await appendMany(dovecot!, { user: u.user, password: changed }, [
      customerMessage('during').raw,
    ]);

    const put = (password: string) =>
      bed.t.app.inject({
        method: 'PUT',
        url: `/v1/mailboxes/${id}/credentials`,
        headers: bearer(bed.tenant.token),
        payload: {
          imap: { ...connectBody(dovecot!, bed.sink, u).imap, password },
          smtp: connectBody(dovecot!, bed.sink, u).smtp,
        },
      });
    const wrong = await put(`wrong-${changed}`);
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().code).toBe('imap_auth_failed');
    expect((await getMailbox(id)).status).toBe('reauth_required');

    const ok = await put(changed);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id, status: 'active' });
    expect(ok.body).not.toContain(changed);
    expect(await sync(id)).toMatchObject({ status: 'synced', stored: 1, duplicates: 0 });
    expect(await counts(bed.t.database.db, id)).toMatchObject({ messages: 2, distinctIds: 2 });
    const audit = await bed.t.database.db.tx((c) =>
      c.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE action = 'mailbox.reauthorize' AND resource_id = $1`,
        [id],
      ),
    );
    expect(audit.rows[0].n).toBe(1);
  });
});
