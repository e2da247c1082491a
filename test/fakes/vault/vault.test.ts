// The Vault transit fake refuses what Vault refuses, and the provider maps its answers: a wrong token
// is 403, a tampered context fails authentication, a destroyed version is a missing key.
import { afterAll, beforeAll, expect, test } from 'vitest';

import { MissingKeyError } from '../../../src/crypto/index.js';
import { makeVaultTransitProvider } from '../../../src/crypto/vault-transit.js';
import { type FakeVault, startFakeVault } from './index.js';

let vault: FakeVault;
beforeAll(async () => {
  vault = await startFakeVault();
});
afterAll(async () => {
  await vault?.close();
});

const post = (path: string, body: unknown, token = vault.token) =>
  fetch(`${vault.url}/v1/transit/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('wrong token, bad base64, trim outside the decryption floor are refused as Vault refuses them', async () => {
  const provider = await makeVaultTransitProvider({
    addr: vault.url,
    token: vault.token,
    mount: 'transit',
    key: 'strict',
  });
  expect(provider.activeKeyId).toBe('vault-v1');
  const denied = await post('encrypt/strict', { plaintext: 'AAAA' }, 'hvs.wrong');
  expect([denied.status, await denied.json()]).toEqual([403, { errors: ['permission denied'] }]);
  expect((await post('encrypt/strict', { plaintext: 'not base64!' })).status).toBe(400);
  expect((await post('keys/strict/trim', { min_available_version: 1 })).status).toBe(400); // min_encryption_version is 0
  await provider.rotate!();
  expect((await post('keys/strict/config', { min_decryption_version: 3 })).status).toBe(400); // above latest
});

test('the provider wraps with the context bound, rotates, and a destroyed version is gone for good', async () => {
  const provider = await makeVaultTransitProvider({
    addr: vault.url,
    token: vault.token,
    mount: 'transit',
    key: 'epochs',
  });
  const key = Buffer.alloc(32, 7);
  const w1 = await provider.wrap(key, 'data-key:t:1');
  expect(w1.kekId).toBe('vault-v1');
  expect(w1.wrapped.toString()).toMatch(/^vault:v1:/);
  expect(await provider.unwrap(w1, 'data-key:t:1')).toEqual(key);
  await expect(provider.unwrap(w1, 'data-key:t:2')).rejects.toMatchObject({
    reason: 'authentication_failed',
  });
  expect(await provider.rotate!()).toBe('vault-v2');
  const w2 = await provider.wrap(key, 'data-key:t:1');
  expect(w2.kekId).toBe('vault-v2');
  await provider.destroy!('vault-v1');
  expect(vault.versionsOf('epochs')).toEqual([2]);
  expect(provider.isDestroyed!('vault-v1')).toBe(true);
  await expect(provider.unwrap(w1, 'data-key:t:1')).rejects.toBeInstanceOf(MissingKeyError);
  // Straight to Vault: the old ciphertext is refused by policy, not just by Inlet.
  const res = await post('decrypt/epochs', {
    ciphertext: w1.wrapped.toString(),
    associated_data: Buffer.from('data-key:t:1').toString('base64'),
  });
  expect(res.status).toBe(400);
  expect(await provider.unwrap(w2, 'data-key:t:1')).toEqual(key);
  await expect(provider.destroy!('vault-v2')).rejects.toThrow(/active/);
});
