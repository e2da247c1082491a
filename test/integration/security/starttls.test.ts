// A man in the middle who deletes STARTTLS from the server's answers must not receive the password:
// with tls false the upgrade is required, and plain text needs an explicit, allowed opt-in.
import { createServer, type Server, type Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { setEgressPolicy } from '../../../src/net/egress-guard.js';
import { makeImapProvider } from '../../../src/providers/imap/imap-provider.js';
import type { ImapSettings } from '../../../src/providers/imap/imap-settings.js';
import { resolveImapSettings } from '../../../src/providers/imap/imap-settings.js';
import { verifySmtp } from '../../../src/providers/imap/imap-verify.js';
import { localMailPolicy } from '../../helpers/local-mail.js';

const PASSWORD = 'Sup3r-Secret-Passw0rd';
const b64 = (s: string) => Buffer.from(s).toString('base64');

interface Fake {
  server: Server;
  port: number;
  received: () => string;
}

/** Answers line by line; records everything the client sent. Offers no STARTTLS (it was stripped). */
async function fakeServer(
  greeting: string,
  answer: (line: string, sock: Socket) => void,
): Promise<Fake> {
  let seen = '';
  const server = createServer((sock) => {
    let buf = '';
    sock.on('error', () => undefined);
    sock.write(greeting);
    sock.on('data', (d) => {
      seen += d.toString('latin1');
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        answer(line, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, received: () => seen };
}

const imapFake = () =>
  fakeServer('* OK fake IMAP ready\r\n', (line, sock) => {
    const [tag, cmd = ''] = line.split(' ');
    const c = cmd.toUpperCase();
    if (c === 'CAPABILITY')
      sock.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN\r\n${tag} OK done\r\n`);
    else if (c === 'LOGOUT') {
      sock.write(`* BYE\r\n${tag} OK bye\r\n`);
      sock.end();
    } else if (c === 'LOGIN' || c === 'AUTHENTICATE')
      sock.write(`${tag} NO [AUTHENTICATIONFAILED] nope\r\n`);
    else sock.write(`${tag} BAD unknown\r\n`);
  });

const smtpFake = () =>
  fakeServer('220 fake ESMTP\r\n', (line, sock) => {
    const c = line.split(' ')[0]!.toUpperCase();
    if (c === 'EHLO') sock.write('250-fake\r\n250 AUTH PLAIN LOGIN\r\n');
    else if (c === 'STARTTLS') sock.write('502 5.5.1 not implemented\r\n');
    else if (c === 'AUTH') sock.write('535 5.7.8 nope\r\n');
    else if (c === 'QUIT') {
      sock.write('221 bye\r\n');
      sock.end();
    } else sock.write('250 ok\r\n');
  });

let imap: Fake;
let smtp: Fake;
beforeAll(async () => {
  imap = await imapFake();
  smtp = await smtpFake();
});
afterAll(() => {
  imap?.server.close();
  smtp?.server.close();
});

function settings(plaintext: boolean): ImapSettings {
  return {
    imap: {
      host: '127.0.0.1',
      port: imap.port,
      secure: false,
      ...(plaintext ? { plaintext } : {}),
      auth: { user: 'support@example.test', password: PASSWORD },
    },
    smtp: {
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      ...(plaintext ? { plaintext } : {}),
      auth: { user: 'support@example.test', password: PASSWORD },
    },
  };
}

const leaked = (text: string) =>
  text.includes(PASSWORD) ||
  text.includes(b64(`\0support@example.test\0${PASSWORD}`)) ||
  /\b(LOGIN|AUTHENTICATE|AUTH) /i.test(text.replace(/^EHLO.*$/gm, ''));

describe('STARTTLS stripped by the server (or a man in the middle)', () => {
  it('IMAP: refuses with imap_starttls_unavailable and sends no password', async () => {
    setEgressPolicy(localMailPolicy);
    const p = makeImapProvider(settings(false));
    const err = await p.verify().then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    await p.close();
    expect(err?.code).toBe('imap_starttls_unavailable');
    expect(imap.received()).toMatch(/CAPABILITY/);
    expect(leaked(imap.received())).toBe(false);
  });

  it('SMTP: refuses with smtp_starttls_unavailable and sends no password', async () => {
    setEgressPolicy(localMailPolicy);
    const err = await verifySmtp(resolveImapSettings(settings(false))).then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    expect(err?.code).toBe('smtp_starttls_unavailable');
    expect(smtp.received()).toMatch(/EHLO/);
    expect(smtp.received()).toMatch(/STARTTLS/);
    expect(leaked(smtp.received())).toBe(false);
  });

  it('the per-mailbox opt-in is refused where the operator does not allow plain text (production default)', async () => {
    setEgressPolicy({ ...localMailPolicy, allowPlaintext: false });
    const p = makeImapProvider(settings(true));
    const err = await p.verify().then(
      () => null,
      (e: unknown) => e as { code?: string; status?: number },
    );
    await p.close();
    expect(err).toMatchObject({ code: 'plaintext_not_allowed', status: 422 });
  });

  it('with an allowed opt-in the old fallback applies (which is why it is opt-in: the password is then readable)', async () => {
    setEgressPolicy(localMailPolicy);
    const before = imap.received().length;
    const p = makeImapProvider(settings(true));
    const err = await p.verify().then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    await p.close();
    expect(err?.code).toBe('imap_auth_failed');
    expect(leaked(imap.received().slice(before))).toBe(true);
  });
});

describe('MAIL_ALLOW_PLAINTEXT', () => {
  const prod = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://inlet_app@db.example/inlet',
    INLET_MASTER_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  };
  it('production honours the opt-in only when the operator allows it; development always', async () => {
    const { loadConfig } = await import('../../../src/config.js');
    expect(loadConfig(prod).egress.allowPlaintext).toBe(false);
    expect(loadConfig({ ...prod, MAIL_ALLOW_PLAINTEXT: 'true' }).egress.allowPlaintext).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development' }).egress.allowPlaintext).toBe(true);
  });
});
