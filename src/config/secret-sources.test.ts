// Secrets from mounted files (NAME_FILE) and the production refusal of literal secrets in env files
// Node loaded (`node --env-file`), through loadConfig as the CLI calls it. Real files in a temp dir.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { configProblems as problems } from '../../test/helpers/config-problems.js';
import { loadConfig } from '../config.js';
import { envFilesOf } from './secret-sources.js';

const dir = mkdtempSync(join(tmpdir(), 'inlet-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const KEYRING = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://inlet_login@db.internal/inlet',
  INLET_MASTER_KEYS: KEYRING,
};

describe('secrets from NAME_FILE', () => {
  it('reads a mounted secret file, dropping the trailing newline', () => {
    const c = loadConfig(
      {
        ...production,
        INLET_MASTER_KEYS: undefined,
        DATABASE_URL: undefined,
        INLET_MASTER_KEYS_FILE: file('keys', `${KEYRING}\n`),
        DATABASE_URL_FILE: file('db', 'postgres://inlet_login:pw-from-file@db.internal/inlet\r\n'),
      },
      [],
    );
    expect(c.masterKeys).toBe(KEYRING);
    expect(c.databaseUrl).toBe('postgres://inlet_login:pw-from-file@db.internal/inlet');
  });

  it('refuses both NAME and NAME_FILE, a missing file and an empty one, naming the variable only', () => {
    const p = problems({
      GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 'literal-SECRETVALUE',
      GOOGLE_CLIENT_SECRET_FILE: file('google', 'from-file-SECRETVALUE'),
      INLET_OPERATOR_KEY_FILE: join(dir, 'absent'),
      VAULT_TOKEN_FILE: file('empty', '\n'),
    });
    expect(p).toContain(
      'GOOGLE_CLIENT_SECRET: set either GOOGLE_CLIENT_SECRET or GOOGLE_CLIENT_SECRET_FILE, not both',
    );
    expect(p).toContain(`INLET_OPERATOR_KEY_FILE: cannot read ${join(dir, 'absent')} (ENOENT)`);
    expect(p).toContain(`VAULT_TOKEN_FILE: ${join(dir, 'empty')} is empty`);
    expect(p.join('\n')).not.toMatch(/SECRETVALUE/);
  });

  it('a file-given value is validated like any other, without echoing it', () => {
    const p = problems({ INLET_MASTER_KEYS_FILE: file('bad-keys', 'k1:not-a-key-SECRETVALUE') });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^INLET_MASTER_KEYS: expected/);
    expect(p[0]).not.toMatch(/SECRETVALUE/);
  });
});

describe('literal secrets in env files, NODE_ENV=production', () => {
  const envFile = file(
    'prod.env',
    [
      'LOG_LEVEL=info',
      'MICROSOFT_CLIENT_SECRET="SECRETVALUE-in-a-file"',
      'DATABASE_URL=postgres://inlet_login:SECRETVALUE@db.internal/inlet',
      'DATABASE_OWNER_URL=postgres://inlet_owner@db.internal/inlet',
      'INLET_MASTER_KEYS_FILE=/run/secrets/inlet-master-keys',
      '',
    ].join('\n'),
  );

  it('refuses each literal secret, naming the variable and the file, never the value', () => {
    const p = problems(production, [envFile]);
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(
      /^DATABASE_URL: a literal secret in the env file .*prod\.env, refused when NODE_ENV=production/,
    );
    expect(p[1]).toMatch(/^MICROSOFT_CLIENT_SECRET: a literal secret in the env file .*prod\.env/);
    expect(p.join('\n')).toContain('MICROSOFT_CLIENT_SECRET_FILE');
    expect(p.join('\n')).not.toMatch(/SECRETVALUE/);
  });

  it('allows them outside production, and a production env file without secrets', () => {
    expect(problems({}, [envFile])).toEqual([]);
    const plain = file(
      'plain.env',
      'LOG_LEVEL=warn\nDATABASE_URL=postgres://inlet_login@db/inlet\n',
    );
    expect(problems(production, [plain])).toEqual([]);
    expect(problems(production, [join(dir, 'no-such.env')])).toEqual([]);
  });

  it('finds the env files Node was started with, in either option form', () => {
    expect(envFilesOf(['--env-file=a.env', '--env-file-if-exists', 'b.env', '--inspect'])).toEqual([
      'a.env',
      'b.env',
    ]);
    expect(envFilesOf(['--enable-source-maps'])).toEqual([]);
  });

  it('a process started with `node --env-file` holding a secret refuses to load its configuration', () => {
    const script = `import { loadConfig } from ${JSON.stringify(new URL('../config.ts', import.meta.url).href)};
try { loadConfig(); console.log('started'); } catch (err) { console.log(err.problems.join('\\n')); process.exit(1); }`;
    const run = spawnSync(
      process.execPath,
      ['--env-file', envFile, '--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...production },
      },
    );
    expect(run.stdout).toMatch(/^DATABASE_URL: a literal secret in the env file/m);
    expect(run.stdout + run.stderr).not.toMatch(/SECRETVALUE/);
    expect(run.status).toBe(1);
  });
});
