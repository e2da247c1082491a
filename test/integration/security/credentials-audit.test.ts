// security.md control 5: every decrypt of a mailbox's credentials is an audit record (mailbox,
// purpose, worker id) and a count by purpose, and credentials cannot be opened without a place for
// that record. Against a real Dovecot and PostgreSQL.
import { describe, expect, it } from 'vitest';

import { openCredentials, providerForMailbox } from '../../../src/providers/open-mailbox.js';
import { connectBody, newImapUser } from '../../helpers/imap-mailbox.js';
import { imapTestbed, postMailbox, syncSmallPages } from '../../helpers/imap-testbed.js';

const bed = await imapTestbed();
const { dovecot } = bed;

interface OpenRecord {
  actor: string;
  detail: Record<string, unknown>;
}

const opens = async (mailboxId: string) =>
  (
    await bed.t.database.db.tx((ex) =>
      ex.query<OpenRecord>(
        `SELECT actor, detail FROM audit_log WHERE action = 'credentials.open' AND resource_type = 'mailbox' AND resource_id = $1 ORDER BY id`,
        [mailboxId],
      ),
    )
  ).rows;

const opensCounted = async (purpose: string) => {
  const metric = await bed.t.container.metrics
    .getSingleMetric('inlet_credentials_opened_total')
    ?.get();
  return metric?.values.find((v) => v.labels.purpose === purpose)?.value ?? 0;
};

describe.skipIf(!dovecot)(`credential decrypts are audited${bed.skipReason}`, () => {
  it('writes one record per opening, with purpose and worker and no secret, and counts it', async () => {
    const u = await newImapUser(dovecot!);
    const res = await postMailbox(bed, connectBody(dovecot!, bed.sink, u));
    expect(res.statusCode).toBe(201);
    const id: string = res.json().id;
    const before = await opensCounted('sync');

    expect(await syncSmallPages(bed, id)).toMatchObject({ status: 'synced' });
    const records = await opens(id);
    expect(records).toHaveLength(1);
    expect(records[0]!.actor).toBe('system:credentials:sync');
    expect(records[0]!.detail).toEqual({ purpose: 'sync', worker: expect.any(String) });
    expect(records[0]!.detail.worker).toContain(String(process.pid));
    expect(JSON.stringify(records)).not.toContain(u.password);
    expect(await opensCounted('sync')).toBe(before + 1);

    // A send (or any other caller) names its own purpose.
    await bed.t.database.db.tenantTx(bed.tenant.id, async (ex) => {
      const p = await providerForMailbox(ex, bed.t.container.keys, bed.tenant.id, id, 'send');
      await p.close();
    });
    expect((await opens(id)).map((r) => r.detail.purpose)).toEqual(['sync', 'send']);
  });

  it('a sync whose record cannot be written fails and decrypts nothing; the next sync records and opens', async () => {
    const u = await newImapUser(dovecot!);
    const id: string = (await postMailbox(bed, connectBody(dovecot!, bed.sink, u))).json().id;
    const before = await opensCounted('sync');
    const { owner } = bed.t.database;
    await owner.tx((ex) =>
      ex.query(`CREATE FUNCTION test_refuse_open_record() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RAISE EXCEPTION 'audit sink unavailable'; END $$;
        CREATE TRIGGER test_refuse_open_record BEFORE INSERT ON audit_log FOR EACH ROW
          WHEN (NEW.action = 'credentials.open') EXECUTE FUNCTION test_refuse_open_record()`),
    );
    try {
      await expect(syncSmallPages(bed, id)).rejects.toThrow('audit sink unavailable');
    } finally {
      await owner.tx((ex) =>
        ex.query(`DROP TRIGGER test_refuse_open_record ON audit_log;
          DROP FUNCTION test_refuse_open_record()`),
      );
    }
    expect(await opensCounted('sync')).toBe(before);
    expect(await opens(id)).toHaveLength(0);
    expect(await syncSmallPages(bed, id)).toMatchObject({ status: 'synced' });
    expect(await opens(id)).toHaveLength(1);
    expect(await opensCounted('sync')).toBe(before + 1);
  });

  it('decrypts nothing when the audit record cannot be written', async () => {
    const u = await newImapUser(dovecot!);
    const id: string = (await postMailbox(bed, connectBody(dovecot!, bed.sink, u))).json().id;
    const { keys } = bed.t.container;
    const sealed = await bed.t.database.db.tenantTx(bed.tenant.id, async (ex) => {
      const row = await ex.query<{ credentials_ct: Buffer }>(
        'SELECT credentials_ct FROM mailboxes WHERE id = $1',
        [id],
      );
      return { ct: row.rows[0]!.credentials_ct, dek: await keys.mailboxKey(ex, bed.tenant.id, id) };
    });
    const failing = {
      query: () => Promise.reject(new Error('audit sink unavailable')),
    } as never;
    await expect(
      openCredentials({ ex: failing, purpose: 'sync' }, sealed.dek, bed.tenant.id, id, sealed.ct),
    ).rejects.toThrow('audit sink unavailable');
    // Without a place for the record the call does not compile, and at run time it throws.
    await expect(
      // @ts-expect-error the opening (executor and purpose) is required
      openCredentials(sealed.dek, bed.tenant.id, id, sealed.ct),
    ).rejects.toThrow();
  });
});
