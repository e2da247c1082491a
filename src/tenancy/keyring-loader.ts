// Where the key-encryption keys come from: INLET_MASTER_KEYS, or — outside production only — a
// development keyring generated once in INLET_DATA_DIR/master-keys (with a loud warning, because
// whoever can read that folder can read the mail).
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Config } from '../config.js';
import {
  formatKeyringSpec,
  generateKek,
  type KeyProvider,
  makeLocalKeyProvider,
  parseKeyringSpec,
} from '../crypto/index.js';
import { makeVaultTransitProvider } from '../crypto/vault-transit.js';
import type { Logger } from '../lib/logger.js';

export function devKeyFile(config: Config): string {
  return path.join(config.dataDir, 'master-keys');
}

export async function loadKeyProvider(config: Config, logger: Logger): Promise<KeyProvider> {
  if (config.keys.vault) return makeVaultTransitProvider(config.keys.vault);
  if (config.masterKeys) return makeLocalKeyProvider(parseKeyringSpec(config.masterKeys));
  if (config.production) throw new Error('INLET_MASTER_KEYS is required in production');
  const file = devKeyFile(config);
  if (!existsSync(file)) {
    await mkdir(config.dataDir, { recursive: true, mode: 0o711 });
    await writeFile(file, formatKeyringSpec([generateKek()]) + '\n', { mode: 0o600 });
    logger.warn(
      { file },
      '!!! DEVELOPMENT KEY GENERATED: mail in this instance is encrypted under a key stored on local disk. Never use this in production; set INLET_MASTER_KEYS. !!!',
    );
  } else {
    // Said loudly once, when the key was generated; later starts only mention it.
    logger.info(
      { file },
      'using the development keyring from the data folder (set INLET_MASTER_KEYS in production)',
    );
  }
  return makeLocalKeyProvider(
    parseKeyringSpec((await readFile(file, 'utf8')).trim().split('\n').join(',')),
  );
}

/** `inlet keys rotate` in development: a new key goes to the end of the dev keyring and becomes active. */
export async function addDevKey(config: Config): Promise<string> {
  const kek = generateKek();
  await appendFile(devKeyFile(config), formatKeyringSpec([kek]) + '\n', { mode: 0o600 });
  return kek.id;
}
