// The secret scan of .ci/check-security: gitleaks (built by .ci/tools) with the project's
// .gitleaks.toml over a throw-away repository. A planted token fails both the tree and, once deleted,
// the history scan; the reviewed fixtures pass only with their own values; the EICAR rule fires.
// Planted values are made at run time so this file holds none of them.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const gitleaks = join(
  process.env.INLET_TOOLS ?? join(homedir(), '.cache/inlet-ci'),
  'bin/gitleaks',
);
const config = resolve(import.meta.dirname, '../../.gitleaks.toml');

function gitleaksMissing(): boolean {
  const r = spawnSync(gitleaks, ['version'], { stdio: 'ignore' });
  if (r.status === 0) return false;
  if (process.env.CI) throw new Error(`gitleaks is missing at ${gitleaks}; .ci/tools builds it`);
  return true;
}

const alnum = (length: number) =>
  [...randomBytes(length)]
    .map((b) => 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'[b % 56])
    .join('');

let repo = '';
const write = (file: string, text: string) => {
  mkdirSync(dirname(join(repo, file)), { recursive: true });
  writeFileSync(join(repo, file), text);
};
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: repo,
    stdio: 'pipe',
  });
const commitAll = (message: string) => {
  git('add', '-A');
  git('commit', '-q', '-m', message);
};
/** Exit code of one scan (1 = leaks found) and its report's rule ids. */
function scan(mode: 'dir' | 'git'): { code: number; rules: string[] } {
  const out = join(repo, '..', `report-${mode}.json`);
  const r = spawnSync(
    gitleaks,
    [mode, '.', '--config', config, '--redact', '--no-banner', '-r', out],
    {
      cwd: repo,
      encoding: 'utf8',
    },
  );
  const findings = JSON.parse(readFileSync(out, 'utf8') || '[]') as {
    RuleID: string;
  }[];
  return { code: r.status ?? -1, rules: findings.map((f) => f.RuleID) };
}

describe.skipIf(gitleaksMissing())('secret scan (.gitleaks.toml)', () => {
  beforeEach(() => {
    repo = join(mkdtempSync(join(tmpdir(), 'inlet-gitleaks-')), 'repo');
    mkdirSync(repo);
    git('init', '-q');
    copyFileSync(config, join(repo, '.gitleaks.toml'));
    write('src/ok.ts', 'export const answer = 42;\n');
    commitAll('start');
  });
  afterEach(() => rmSync(dirname(repo), { recursive: true, force: true }));

  it('finds a planted token in the tree, and in the history after it was deleted', () => {
    write('src/client.ts', `export const token = 'ghp_${alnum(36)}';\n`);
    expect(scan('dir')).toMatchObject({ code: 1, rules: ['github-pat'] });
    commitAll('plant');
    unlinkSync(join(repo, 'src/client.ts'));
    commitAll('remove');
    expect(scan('dir').code).toBe(0);
    expect(scan('git')).toMatchObject({ code: 1, rules: ['github-pat'] });
  });

  it('lets the reviewed fixtures pass with their own values only', () => {
    const starttls = 'test/integration/security/starttls.test.ts';
    write(starttls, "const PASSWORD = 'Sup3r-Secret-Passw0rd';\n");
    commitAll('fixture');
    expect(scan('git').code).toBe(0);
    write(starttls, `const PASSWORD = '${alnum(24)}';\n`);
    expect(scan('dir')).toMatchObject({ code: 1, rules: ['generic-api-key'] });
  });

  it('skips the gitignored development data directory, which never leaves the machine', () => {
    write('.inlet/keys.ts', `export const token = 'ghp_${alnum(36)}';\n`);
    expect(scan('dir').code).toBe(0);
  });

  it('refuses the EICAR test string in test mail', () => {
    const eicar = ['EICAR', 'STANDARD', 'ANTIVIRUS', 'TEST', 'FILE'].join('-');
    write('test/mail/virus.eml', `Subject: x\n\nX5O ${eicar}!$H+H*\n`);
    expect(scan('dir')).toMatchObject({ code: 1, rules: ['eicar-test-file'] });
  });
});
