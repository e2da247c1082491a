// Key-encryption keys held in HashiCorp Vault's (or OpenBao's) transit engine. Inlet never sees the
// KEK: data keys are sent to `encrypt`/`decrypt` and come back wrapped/unwrapped. Each key version is
// one epoch's KEK (id `vault-v<N>`); Inlet rotates the key itself (`rotate`) and destroys a retired
// version for good by raising min_decryption_version / min_encryption_version and trimming the key
// ring (`trim`), after which no copy of a data key wrapped under it — live or in a backup — opens.
// The wrap context is bound as AES-GCM associated data (`associated_data`, Vault 1.13+ / OpenBao).
import { CryptoError, MissingKeyError } from './crypto-error.js';
import type { KeyProvider, WrappedKey } from './key-provider.js';

export interface VaultTransitOptions {
  /** e.g. https://vault.internal:8200 */
  addr: string;
  token: string;
  namespace?: string | null;
  mount: string;
  key: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface KeyInfo {
  latest_version: number;
  min_decryption_version: number;
  min_encryption_version: number;
  min_available_version: number;
  keys: Record<string, unknown>;
}

export class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(`vault answered ${status}`);
    this.name = 'VaultError';
  }
}

const ID_RE = /^vault-v([1-9][0-9]{0,8})$/;
const CT_RE = /^vault:v([1-9][0-9]{0,8}):[A-Za-z0-9+/]+=*$/;
export const vaultKekId = (version: number) => `vault-v${version}`;
const versionOf = (kekId: string): number | null => {
  const m = ID_RE.exec(kekId);
  return m ? Number(m[1]) : null;
};

export async function makeVaultTransitProvider(
  opts: VaultTransitOptions,
): Promise<KeyProvider & { refresh(): Promise<void> }> {
  const doFetch = opts.fetch ?? fetch;
  const base = `${opts.addr.replace(/\/$/, '')}/v1/${encodeURIComponent(opts.mount)}`;
  const name = encodeURIComponent(opts.key);

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown> | null> {
    const headers: Record<string, string> = { 'x-vault-token': opts.token };
    if (opts.namespace) headers['x-vault-namespace'] = opts.namespace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await doFetch(`${base}/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    const json = text
      ? (JSON.parse(text) as { data?: Record<string, unknown>; errors?: string[] })
      : {};
    if (!res.ok)
      throw new VaultError(res.status, Array.isArray(json.errors) ? json.errors.map(String) : []);
    return json.data ?? null;
  }

  let info: KeyInfo;
  async function refresh(): Promise<void> {
    try {
      info = (await call('GET', `keys/${name}`)) as unknown as KeyInfo;
    } catch (err) {
      if (!(err instanceof VaultError) || err.status !== 404) throw err;
      await call('POST', `keys/${name}`, { type: 'aes256-gcm96' });
      info = (await call('GET', `keys/${name}`)) as unknown as KeyInfo;
    }
  }
  await refresh();

  const available = () =>
    Object.keys(info.keys)
      .map(Number)
      .filter((v) => v >= Math.max(1, info.min_decryption_version, info.min_available_version))
      .sort((a, b) => a - b);
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

  return {
    kind: 'vault',
    get activeKeyId() {
      return vaultKekId(info.latest_version);
    },
    keyIds: () => available().map(vaultKekId),
    isDestroyed: (kekId) => {
      const v = versionOf(kekId);
      return v !== null && v < Math.max(info.min_decryption_version, info.min_available_version);
    },
    refresh,

    async wrap(plainKey: Buffer, context: string): Promise<WrappedKey> {
      const data = await call('POST', `encrypt/${name}`, {
        plaintext: plainKey.toString('base64'),
        associated_data: b64(context),
      });
      const ct = String(data?.ciphertext ?? '');
      const m = CT_RE.exec(ct);
      if (!m) throw new CryptoError('malformed', 'Vault returned an unexpected ciphertext.');
      return { kekId: vaultKekId(Number(m[1])), wrapped: Buffer.from(ct, 'utf8') };
    },

    async unwrap(w: WrappedKey, context: string): Promise<Buffer> {
      const ct = Buffer.isBuffer(w?.wrapped) ? w.wrapped.toString('utf8') : '';
      const m = CT_RE.exec(ct);
      const v = versionOf(w?.kekId ?? '');
      if (!m || v === null || Number(m[1]) !== v)
        throw new CryptoError('malformed', 'The wrapped key is malformed.');
      if (!available().includes(v)) {
        await refresh(); // another replica may have rotated
        if (!available().includes(v)) throw new MissingKeyError(w.kekId);
      }
      try {
        const data = await call('POST', `decrypt/${name}`, {
          ciphertext: ct,
          associated_data: b64(context),
        });
        return Buffer.from(String(data?.plaintext ?? ''), 'base64');
      } catch (err) {
        if (
          err instanceof VaultError &&
          err.status === 400 &&
          err.errors.some((e) => /too old|version/i.test(e))
        )
          throw new MissingKeyError(w.kekId);
        if (err instanceof VaultError && err.status === 400)
          throw new CryptoError('authentication_failed', 'The wrapped key could not be unwrapped.');
        throw err;
      }
    },

    async rotate(): Promise<string> {
      await call('POST', `keys/${name}/rotate`, {});
      await refresh();
      return vaultKekId(info.latest_version);
    },

    async destroy(kekId: string): Promise<void> {
      const v = versionOf(kekId);
      if (v === null) throw new Error(`not a Vault key version id: ${kekId}`);
      if (v >= info.latest_version) throw new Error('refusing to destroy the active key version');
      // Versions up to v go: nothing may encrypt or decrypt with them, then they are deleted.
      const floor = Math.max(v + 1, info.min_decryption_version);
      await call('POST', `keys/${name}/config`, {
        min_decryption_version: floor,
        min_encryption_version: Math.max(floor, info.min_encryption_version),
      });
      await call('POST', `keys/${name}/trim`, { min_available_version: floor });
      await refresh();
    },
  };
}
