// A strict local fake of the Vault / OpenBao transit secrets engine, the documented HTTP subset Inlet
// uses: read/create a key (GET/POST /v1/<mount>/keys/<name>), rotate, config (min_decryption_version,
// min_encryption_version), trim (min_available_version), encrypt and decrypt with associated_data.
// Real AES-256-GCM per key version; ciphertexts look like Vault's ("vault:v<N>:<base64>").
// Strict where Vault is: X-Vault-Token required (403 "permission denied"), JSON bodies, base64
// inputs, `{"errors": [...]}` bodies, decrypting a version under min_decryption_version refused
// ("ciphertext or signature version is disallowed by policy (too old)"), trim only within
// min(min_decryption_version, min_encryption_version) and never with either at 0, trimmed versions
// gone for good.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface TransitKey {
  versions: Map<number, { key: Buffer; created: number }>;
  latest: number;
  minDecryption: number;
  minEncryption: number;
  minAvailable: number;
}

export interface FakeVault {
  url: string;
  token: string;
  mount: string;
  /** Requests per path, for assertions. */
  calls: string[];
  /** The versions whose key material still exists. */
  versionsOf(name: string): number[];
  close(): Promise<void>;
}

class Fail extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; '));
  }
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
function b64(field: string, v: unknown, required: boolean): Buffer {
  if (v === undefined || v === null || v === '') {
    if (required) throw new Fail(400, [`missing ${field}`]);
    return Buffer.alloc(0);
  }
  if (typeof v !== 'string' || !B64.test(v) || v.length % 4 !== 0)
    throw new Fail(400, [`failed to base64-decode ${field}`]);
  return Buffer.from(v, 'base64');
}

export async function startFakeVault(
  opts: { token?: string; mount?: string } = {},
): Promise<FakeVault> {
  const token = opts.token ?? `hvs.${randomBytes(12).toString('hex')}`;
  const mount = opts.mount ?? 'transit';
  const keys = new Map<string, TransitKey>();
  const calls: string[] = [];

  const info = (name: string, k: TransitKey) => ({
    name,
    type: 'aes256-gcm96',
    derived: false,
    exportable: false,
    deletion_allowed: false,
    supports_encryption: true,
    supports_decryption: true,
    latest_version: k.latest,
    min_decryption_version: k.minDecryption,
    min_encryption_version: k.minEncryption,
    min_available_version: k.minAvailable,
    keys: Object.fromEntries([...k.versions].map(([v, x]) => [String(v), x.created])),
  });
  const need = (name: string) => {
    const k = keys.get(name);
    if (!k) throw new Fail(400, ['encryption key not found']);
    return k;
  };
  const addVersion = (k: TransitKey) => {
    k.latest++;
    k.versions.set(k.latest, { key: randomBytes(32), created: Math.floor(Date.now() / 1000) });
  };

  function handle(
    method: string,
    path: string[],
    body: Record<string, unknown>,
  ): { status: number; data?: unknown } {
    const [op, name, sub] = path;
    if (!name || !/^[A-Za-z0-9_-]+$/.test(name)) throw new Fail(404, []);
    if (op === 'keys' && sub === undefined) {
      if (method === 'GET') {
        const k = keys.get(name);
        if (!k) throw new Fail(404, []);
        return { status: 200, data: info(name, k) };
      }
      if (method !== 'POST') throw new Fail(405, ['unsupported operation']);
      if (body.type !== undefined && body.type !== 'aes256-gcm96')
        throw new Fail(400, ['unsupported key type']);
      if (!keys.has(name)) {
        const k: TransitKey = {
          versions: new Map(),
          latest: 0,
          minDecryption: 1,
          minEncryption: 0,
          minAvailable: 0,
        };
        addVersion(k);
        keys.set(name, k);
      }
      return { status: 204 };
    }
    if (method !== 'POST') throw new Fail(405, ['unsupported operation']);
    if (op === 'keys' && sub === 'rotate') {
      const k = need(name);
      addVersion(k);
      return { status: 200, data: info(name, k) };
    }
    if (op === 'keys' && sub === 'config') {
      const k = need(name);
      const dec = body.min_decryption_version ?? k.minDecryption;
      const enc = body.min_encryption_version ?? k.minEncryption;
      if (
        !Number.isInteger(dec) ||
        !Number.isInteger(enc) ||
        (dec as number) < 0 ||
        (enc as number) < 0
      )
        throw new Fail(400, ['invalid version']);
      if ((dec as number) > k.latest)
        throw new Fail(400, ['cannot set min decryption version above latest version']);
      if ((enc as number) > k.latest)
        throw new Fail(400, ['cannot set min encryption version above latest version']);
      if ((enc as number) > 0 && (dec as number) > (enc as number))
        throw new Fail(400, [
          'cannot set min encryption/decryption values such that the decryption value is greater than the encryption value',
        ]);
      if ((dec as number) < k.minAvailable)
        throw new Fail(400, ['cannot set min decryption version below min available version']);
      k.minDecryption = Math.max(1, dec as number);
      k.minEncryption = enc as number;
      return { status: 200, data: info(name, k) };
    }
    if (op === 'keys' && sub === 'trim') {
      const k = need(name);
      const min = body.min_available_version;
      if (!Number.isInteger(min) || (min as number) <= 0)
        throw new Fail(400, ['missing or invalid min_available_version']);
      if (k.minEncryption === 0 || k.minDecryption === 0)
        throw new Fail(400, [
          'minimum available version cannot be set when minimum encryption or decryption version is set to zero',
        ]);
      if ((min as number) > Math.min(k.minEncryption, k.minDecryption))
        throw new Fail(400, [
          'cannot set min available version greater than min encryption or decryption version',
        ]);
      if ((min as number) < k.minAvailable)
        throw new Fail(400, ['minimum available version cannot be decremented']);
      for (const v of [...k.versions.keys()]) if (v < (min as number)) k.versions.delete(v);
      k.minAvailable = min as number;
      return { status: 204 };
    }
    if (sub !== undefined) throw new Fail(404, []);
    const k = need(name);
    const aad = b64('associated_data', body.associated_data, false);
    const seal = (plain: Buffer) => {
      const v = Math.max(k.latest, k.minEncryption);
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', k.versions.get(v)!.key, nonce);
      c.setAAD(aad);
      const out = Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
      return { ciphertext: `vault:v${v}:${out.toString('base64')}`, key_version: v };
    };
    const unseal = (ct: unknown): Buffer => {
      const m = typeof ct === 'string' ? /^vault:v(\d+):([A-Za-z0-9+/]+=*)$/.exec(ct) : null;
      if (!m) throw new Fail(400, ['invalid ciphertext: no prefix']);
      const v = Number(m[1]);
      if (v < k.minDecryption)
        throw new Fail(400, ['ciphertext or signature version is disallowed by policy (too old)']);
      const ver = k.versions.get(v);
      if (!ver) throw new Fail(400, ['invalid key version']);
      const raw = Buffer.from(m[2]!, 'base64');
      if (raw.length < 28) throw new Fail(400, ['invalid ciphertext: too short']);
      try {
        const d = createDecipheriv('aes-256-gcm', ver.key, raw.subarray(0, 12));
        d.setAAD(aad);
        d.setAuthTag(raw.subarray(raw.length - 16));
        return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
      } catch {
        throw new Fail(400, ['cipher: message authentication failed']);
      }
    };
    if (op === 'encrypt')
      return { status: 200, data: seal(b64('plaintext', body.plaintext, true)) };
    if (op === 'decrypt')
      return { status: 200, data: { plaintext: unseal(body.ciphertext).toString('base64') } };
    if (op === 'rewrap') return { status: 200, data: seal(unseal(body.ciphertext)) };
    throw new Fail(404, []);
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, json?: unknown) => {
      res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    try {
      const url = new URL(req.url ?? '/', 'http://fake');
      calls.push(`${req.method} ${url.pathname}`);
      if (req.headers['x-vault-token'] !== token) throw new Fail(403, ['permission denied']);
      const prefix = `/v1/${mount}/`;
      if (!url.pathname.startsWith(prefix)) throw new Fail(404, ['no handler for route']);
      let body: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (chunks.length > 0) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new Fail(400, ['failed to parse JSON input']);
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          throw new Fail(400, ['failed to parse JSON input']);
      }
      const out = handle(
        req.method ?? 'GET',
        url.pathname.slice(prefix.length).split('/').map(decodeURIComponent),
        body,
      );
      send(
        out.status,
        out.data === undefined
          ? undefined
          : {
              request_id: randomBytes(8).toString('hex'),
              lease_id: '',
              renewable: false,
              lease_duration: 0,
              data: out.data,
              wrap_info: null,
              warnings: null,
              auth: null,
            },
      );
    } catch (err) {
      if (err instanceof Fail) send(err.status, { errors: err.errors });
      else send(500, { errors: ['internal error'] });
    }
  }

  const server: Server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    mount,
    calls,
    versionsOf: (name) => [...(keys.get(name)?.versions.keys() ?? [])].sort((a, b) => a - b),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
