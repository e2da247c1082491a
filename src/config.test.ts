import { describe, expect, test } from 'vitest';

import { configProblems as problems } from '../test/helpers/config-problems.js';
import { configTableMarkdown, loadConfig, variables } from './config.js';

describe('config', () => {
  test('defaults give a runnable development config', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeNull();
    expect(c.production).toBe(false);
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('every bad variable is reported on its own line, naming the variable and the expected shape', () => {
    const p = problems({ DATABASE_URL: 'nonsense', PORT: 'abc', WORKER_CONCURRENCY: '0' });
    expect(p).toHaveLength(3);
    expect(p.find((l) => l.startsWith('DATABASE_URL:'))).toMatch(/URL/);
    expect(p.find((l) => l.startsWith('PORT:'))).toMatch(/integer from 1 to 65535/);
    expect(p.find((l) => l.startsWith('WORKER_CONCURRENCY:'))).toBeDefined();
  });

  test('TRUSTED_AUTHSERV_IDS: a comma-separated list of host names, lower-cased; none by default', () => {
    expect(loadConfig({}).trustedAuthservIds).toEqual([]);
    expect(
      loadConfig({ TRUSTED_AUTHSERV_IDS: 'MX.Example.com,mx2.example.com' }).trustedAuthservIds,
    ).toEqual(['mx.example.com', 'mx2.example.com']);
    for (const bad of ['mx.example.com;dmarc=pass', 'mx.example.com, mx2.example.com', 'a,,b'])
      expect(problems({ TRUSTED_AUTHSERV_IDS: bad })[0]).toMatch(
        /^TRUSTED_AUTHSERV_IDS: expected comma-separated host names/,
      );
  });

  test('secret values are never echoed in errors', () => {
    const p = problems({
      INLET_MASTER_KEYS: 'k1:not-a-key-SECRETVALUE',
      INLET_OPERATOR_KEY: 'shortSECRET',
    });
    expect(p.join('\n')).not.toMatch(/SECRET/);
    expect(p).toHaveLength(2);
  });

  test('production refuses the embedded database and generated keys', () => {
    const p = problems({ NODE_ENV: 'production' });
    expect(p.some((l) => l.startsWith('DATABASE_URL:'))).toBe(true);
    expect(p.some((l) => l.startsWith('INLET_MASTER_KEYS:'))).toBe(true);
  });

  test('README configuration table is generated from the variable list', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(configTableMarkdown());
    for (const v of variables) expect(readme).toContain(`\`${v.name}\``);
  });
});
