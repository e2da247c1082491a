// A throwaway certificate authority and a localhost server certificate, made with the openssl CLI
// at test time (nothing committed). The Graph client attaches tokens only to https hosts and MSAL
// refuses http authorities (docs/providers.md, Microsoft 365 facts), so the fake speaks TLS like
// the real services. trustTestCa() adds the CA to this process's default trust store: both MSAL and
// the Graph client use Node's global fetch, which reads it for every new connection
// (tls.setDefaultCACertificates, Node >= 22.19). Older Node: start the process with
// NODE_EXTRA_CA_CERTS=<caPath> instead.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface TestTls {
  caPem: string;
  caPath: string;
  key: Buffer;
  cert: Buffer;
}

let made: TestTls | undefined;

export function testTls(): TestTls {
  if (made) return made;
  const dir = mkdtempSync(path.join(tmpdir(), 'inlet-ms-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Inlet test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(
    path.join(dir, 'ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext',
  );
  made = {
    caPem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    caPath: path.join(dir, 'ca.pem'),
    key: readFileSync(path.join(dir, 'server.key')),
    cert: readFileSync(path.join(dir, 'server.pem')),
  };
  // The CA key is not needed any more; the CA file stays for NODE_EXTRA_CA_CERTS users.
  rmSync(path.join(dir, 'ca.key'));
  return made;
}

let trusted = false;

export function trustTestCa(t: TestTls = testTls()): void {
  if (trusted) return;
  const set = (tls as { setDefaultCACertificates?: (certs: string[]) => void })
    .setDefaultCACertificates;
  if (!set)
    throw new Error(
      `this Node has no tls.setDefaultCACertificates; run with NODE_EXTRA_CA_CERTS=${t.caPath}`,
    );
  set([...tls.getCACertificates('default'), t.caPem]);
  trusted = true;
}
