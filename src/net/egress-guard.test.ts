import { describe, expect, it } from 'vitest';

// eslint-disable-next-line no-restricted-imports -- the guard's own test checks IMAP settings pin the checked address
import {
  imapFlowOptions,
  resolveImapSettings,
  smtpTransportOptions,
} from '../providers/imap/imap-settings.js';
import {
  checkHttpsUrl,
  checkMailServer,
  EgressRefused,
  parsePolicy,
  type Resolver,
  specialAddress,
} from './egress-guard.js';

const PUBLIC = '93.184.215.14';
const fixed =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(p: Promise<unknown>): Promise<EgressRefused> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EgressRefused);
  return err as EgressRefused;
}

describe('egress guard: addresses', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.254',
    '169.254.169.254',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '192.0.0.192',
    '198.18.0.1',
    '168.63.129.16',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'fd00:ec2::254',
    'fc00::1',
    'ff02::1',
    'fec0::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '2001:db8::1',
  ])('%s is special', (a) => {
    expect(specialAddress(a)).not.toBeNull();
  });

  it.each([PUBLIC, '8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])(
    '%s is ordinary',
    (a) => {
      expect(specialAddress(a)).toBeNull();
    },
  );
});

describe('egress guard: mail servers', () => {
  it('refuses names that resolve to loopback, whether by the system resolver or an injected one', async () => {
    await refusal(checkMailServer('localhost', 993));
    await refusal(checkMailServer('mail.example.test', 993, { resolver: fixed('127.0.0.1') }));
    await refusal(checkMailServer('mail.example.test', 993, { resolver: fixed('::1') }));
  });

  it('refuses IPv4 written as one number, in hex or shortened (resolved before the check)', async () => {
    for (const host of ['2130706433', '0x7f000001', '127.1', '0177.0.0.1']) {
      const err = await refusal(checkMailServer(host, 993));
      expect(err.reason).toMatch(/special|resolve/);
    }
  });

  it('refuses IPv6 and IPv4-mapped literals, bracketed or not', async () => {
    for (const host of [
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      '[::ffff:7f00:1]',
      'fe80::1',
      '[fd12:3456::1]',
      '::ffff:169.254.169.254',
    ]) {
      await refusal(checkMailServer(host, 993));
    }
  });

  it('refuses cloud metadata by address and by name', async () => {
    await refusal(checkMailServer('169.254.169.254', 143));
    await refusal(checkMailServer('metadata.google.internal', 143, { resolver: fixed(PUBLIC) }));
  });

  it('refuses a name when any of its addresses is private (a public decoy next to a private one)', async () => {
    await refusal(
      checkMailServer('mail.example.test', 993, { resolver: fixed(PUBLIC, '10.0.0.5') }),
    );
  });

  it('pins the checked address: a rebinding resolver answering private on the second lookup never reaches the connection', async () => {
    let calls = 0;
    const rebinding: Resolver = async () =>
      calls++ === 0 ? [{ address: PUBLIC, family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    const target = await checkMailServer('imap.rebind.test', 993, { resolver: rebinding });
    expect(target).toEqual({
      address: PUBLIC,
      family: 4,
      port: 993,
      servername: 'imap.rebind.test',
    });
    // The connection options carry the pinned address; the name is kept only for TLS (SNI, certificate).
    const s = resolveImapSettings({
      imap: {
        host: 'imap.rebind.test',
        port: 993,
        secure: true,
        auth: { user: 'u@x.test', password: 'p' },
      },
      smtp: {
        host: 'imap.rebind.test',
        port: 465,
        secure: true,
        auth: { user: 'u@x.test', password: 'p' },
      },
    });
    expect(imapFlowOptions(s, false, target)).toMatchObject({
      host: PUBLIC,
      port: 993,
      servername: 'imap.rebind.test',
    });
    expect(smtpTransportOptions(s, { ...target, port: 465 })).toMatchObject({
      host: PUBLIC,
      port: 465,
      servername: 'imap.rebind.test',
    });
    // The next connection resolves again and is refused.
    await refusal(checkMailServer('imap.rebind.test', 993, { resolver: rebinding }));
  });

  it('allows only the usual mail ports unless the operator adds more', async () => {
    for (const port of [25, 143, 465, 587, 993])
      await expect(checkMailServer(PUBLIC, port)).resolves.toMatchObject({ port });
    for (const port of [22, 80, 443, 3310, 5432, 6379, 8080])
      await refusal(checkMailServer(PUBLIC, port));
    await expect(
      checkMailServer(PUBLIC, 2525, { policy: parsePolicy(undefined, '2525') }),
    ).resolves.toMatchObject({ port: 2525 });
  });

  it('gives one code and one message whatever the reason, with the reason kept for logs only', async () => {
    const errs = await Promise.all([
      refusal(checkMailServer('127.0.0.1', 993)),
      refusal(checkMailServer(PUBLIC, 5432)),
      refusal(
        checkMailServer('nx.example.test', 993, {
          resolver: () => Promise.reject(new Error('ENOTFOUND')),
        }),
      ),
    ]);
    expect(new Set(errs.map((e) => `${e.code}|${e.status}|${e.message}`)).size).toBe(1);
    expect(errs[0]!.code).toBe('mail_server_unreachable');
    expect(new Set(errs.map((e) => e.reason)).size).toBe(3);
  });

  it('lets the operator allow self-hosted servers by network or by host name', async () => {
    const byNet = parsePolicy('127.0.0.1/32,10.20.0.0/16', '1024-65535');
    await expect(checkMailServer('127.0.0.1', 10143, { policy: byNet })).resolves.toMatchObject({
      address: '127.0.0.1',
      servername: null,
    });
    await expect(
      checkMailServer('mail.corp.test', 993, { policy: byNet, resolver: fixed('10.20.3.4') }),
    ).resolves.toMatchObject({ address: '10.20.3.4' });
    await refusal(
      checkMailServer('mail.corp.test', 993, { policy: byNet, resolver: fixed('10.21.3.4') }),
    );
    const byHost = parsePolicy('*.corp.test', undefined);
    await expect(
      checkMailServer('imap.corp.test', 993, { policy: byHost, resolver: fixed('192.168.0.9') }),
    ).resolves.toMatchObject({ address: '192.168.0.9' });
    await refusal(
      checkMailServer('imap.other.test', 993, { policy: byHost, resolver: fixed('192.168.0.9') }),
    );
  });

  it('refuses malformed operator lists', () => {
    expect(() => parsePolicy('10.0.0.0/33', undefined)).toThrow();
    expect(() => parsePolicy('not a host', undefined)).toThrow();
    expect(() => parsePolicy(undefined, '70000')).toThrow();
  });
});

describe('egress guard: https URLs (webhooks)', () => {
  it('accepts a public https URL on 443 and pins it', async () => {
    const t = await checkHttpsUrl('https://hooks.example.test/in', { resolver: fixed(PUBLIC) });
    expect(t).toMatchObject({ address: PUBLIC, port: 443, servername: 'hooks.example.test' });
  });

  it.each([
    'http://hooks.example.test/',
    'https://127.0.0.1/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://hooks.example.test:8443/',
    'https://user:pw@hooks.example.test/',
    'ftp://hooks.example.test/',
    'not a url',
  ])('refuses %s', async (url) => {
    const err = await refusal(checkHttpsUrl(url, { resolver: fixed(PUBLIC) }));
    expect(err.code).toBe('url_not_allowed');
  });
});
