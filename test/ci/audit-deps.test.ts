// .ci/audit-deps.mjs on saved `npm audit --json` reports (the registry's advisory endpoint is not
// needed): which findings fail CI, which are accepted, and what happens when the audit cannot run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const script = resolve(import.meta.dirname, '../../.ci/audit-deps.mjs');
const dir = mkdtempSync(join(tmpdir(), 'inlet-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Advisory {
  pkg: string;
  node: string;
  severity: string;
  ghsa: string;
}

/** An npm 7+ audit report (auditReportVersion 2) naming real lockfile entries. */
function report(advisories: Advisory[]): object {
  const vulnerabilities: Record<string, object> = {};
  for (const a of advisories)
    vulnerabilities[a.pkg] = {
      name: a.pkg,
      severity: a.severity,
      isDirect: true,
      via: [
        {
          source: 1,
          name: a.pkg,
          title: `made-up advisory for ${a.pkg}`,
          url: `https://github.com/advisories/${a.ghsa}`,
          severity: a.severity,
        },
      ],
      effects: [],
      range: '*',
      nodes: [a.node],
      fixAvailable: false,
    };
  return { auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: {} } };
}

let n = 0;
function run(
  audit: object,
  exceptions: object[] = [],
  env: Record<string, string> = {},
): { code: number; out: string } {
  n += 1;
  const reportFile = join(dir, `report-${n}.json`);
  const exceptionsFile = join(dir, `exceptions-${n}.json`);
  writeFileSync(reportFile, JSON.stringify(audit));
  writeFileSync(exceptionsFile, JSON.stringify({ exceptions }));
  const r = spawnSync(process.execPath, [script, '--report', reportFile], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, INLET_AUDIT_EXCEPTIONS: exceptionsFile, ...env },
  });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

// pg is a production dependency in package-lock.json, vitest a devDependency.
const prodHigh = {
  pkg: 'pg',
  node: 'node_modules/pg',
  severity: 'high',
  ghsa: 'GHSA-aaaa-bbbb-cccc',
};
const devHigh = {
  pkg: 'vitest',
  node: 'node_modules/vitest',
  severity: 'high',
  ghsa: 'GHSA-dddd-eeee-ffff',
};

describe('.ci/audit-deps.mjs', () => {
  it('passes a clean report', () => {
    expect(run(report([]))).toMatchObject({ code: 0 });
  });

  it('fails on a high advisory in a production dependency, naming advisory and package', () => {
    const r = run(report([prodHigh]));
    expect(r.code).toBe(1);
    expect(r.out).toContain('VULNERABLE: GHSA-aaaa-bbbb-cccc (high) in pg');
  });

  it('lets a high advisory in a devDependency pass, but not a critical one', () => {
    expect(run(report([devHigh])).code).toBe(0);
    const r = run(report([{ ...devHigh, severity: 'critical' }]));
    expect(r.code).toBe(1);
    expect(r.out).toContain('in vitest [dev]');
  });

  it('accepts a finding with a current exception and fails once it has expired', () => {
    const entry = { advisory: prodHigh.ghsa, package: 'pg', reason: 'not reachable: test' };
    const ok = run(report([prodHigh]), [{ ...entry, expires: '2999-01-01' }]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('accepted until 2999-01-01');
    const expired = run(report([prodHigh]), [{ ...entry, expires: '2020-01-01' }]);
    expect(expired.code).toBe(1);
    expect(expired.out).toContain('expired on 2020-01-01');
  });

  it('refuses an exception without a reason or expiry', () => {
    const r = run(report([]), [{ advisory: prodHigh.ghsa, package: 'pg' }]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('needs advisory, package, reason and expires');
  });

  it('says plainly when the advisory endpoint cannot be reached; a release build fails there', () => {
    const unreachable = { message: '405 Method Not Allowed - POST https://registry.example/bulk' };
    const r = run(unreachable);
    expect(r.code).toBe(0);
    expect(r.out).toContain('NOT RUN');
    expect(r.out).toContain('Dependencies were NOT audited');
    const release = run(unreachable, [], { INLET_AUDIT_REQUIRED: 'true' });
    expect(release.code).toBe(1);
    expect(release.out).toContain('could not run (405');
  });
});
