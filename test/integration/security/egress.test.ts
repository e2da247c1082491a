// A tenant cannot use mailbox settings to reach the cluster network: loopback, private, metadata and
// mapped addresses are refused before any connection, with one answer whatever listens there.
import { createServer, type Server } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePort } from '../../../src/lib/free-port.js';
import { makeTestApp, type TestApp } from '../../helpers/app.js';
import { bearer, createTenant, operatorKey, testKeyring } from '../../helpers/tenants.js';

let t: TestApp;
let tenant: { token: string };
let listener: Server;
let accepted = 0;

beforeAll(async () => {
  t = await makeTestApp({ INLET_OPERATOR_KEY: operatorKey, INLET_MASTER_KEYS: testKeyring() });
  tenant = await createTenant(t, 'Acme');
  // Something that listens (as PostgreSQL, clamd or Inlet itself would) and counts who knocks.
  listener = createServer((s) => {
    accepted++;
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  listener?.close();
  await t?.close();
});

function body(host: string, port: number) {
  return {
    provider: 'imap',
    imap: { host, port, tls: true, user: 'support@example.test', password: 'secret-password' },
    smtp: {
      host: 'smtp.example.test',
      port: 465,
      tls: true,
      user: 'support@example.test',
      password: 'secret-password',
    },
  };
}

async function connect(host: string, port: number) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/mailboxes',
    headers: bearer(tenant.token),
    payload: body(host, port),
  });
  const problem = res.json();
  return {
    status: res.statusCode,
    code: problem.code,
    detail: problem.detail,
    title: problem.title,
  };
}

describe('egress from mailbox settings', () => {
  it('answers an open port and a closed port on loopback the same way, without connecting', async () => {
    const open = (listener.address() as { port: number }).port;
    const closed = await freePort();
    const a = await connect('127.0.0.1', open);
    const b = await connect('127.0.0.1', closed);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ status: 422, code: 'mail_server_unreachable' });
    expect(accepted).toBe(0);
  });

  it.each([
    ['localhost', 993],
    ['::1', 993],
    ['[::1]', 993],
    ['::ffff:127.0.0.1', 993],
    ['::ffff:7f00:1', 143],
    ['169.254.169.254', 993],
    ['metadata.google.internal', 993],
    ['10.0.0.1', 993],
    ['100.64.0.1', 993],
    ['fd00::1', 993],
    ['2130706433', 993],
    ['0.0.0.0', 993],
  ])('refuses %s:%d with mail_server_unreachable', async (host, port) => {
    expect(await connect(host, port)).toMatchObject({
      status: 422,
      code: 'mail_server_unreachable',
    });
  });

  it('refuses unusual ports on a public address before connecting', async () => {
    expect(await connect('93.184.215.14', 5432)).toMatchObject({
      status: 422,
      code: 'mail_server_unreachable',
    });
  });
});
