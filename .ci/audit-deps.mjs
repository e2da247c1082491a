// Dependency audit (SCA, docs/security.md control 58), run by .ci/check-security.
//
// One `npm audit --json` over the whole lockfile, then two gates:
//   * production dependencies (what the image ships, `npm ci --omit=dev`): high or critical fails;
//   * devDependencies: critical fails. They never reach the image, but they run in CI and on
//     developers' machines with write access to the repository, where a critical advisory (code
//     execution, a hijacked package) matters; their "high" advisories are mostly ReDoS in tools that
//     only ever read our own files, and gating on those would stop CI for no user's benefit.
// A finding can be accepted for a while in .ci/audit-exceptions.json, each entry with the advisory,
// the package, a reason and an expiry date; an expired or incomplete entry fails the run.
//
// When the registry's advisory endpoint cannot be reached (offline, a mirror without it), the audit
// has NOT run: this says so plainly and passes, unless INLET_AUDIT_REQUIRED=true (a release build),
// where it fails. `--report FILE` reads a saved `npm audit --json` output instead of calling npm.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rank = { info: 0, low: 1, moderate: 2, high: 3, critical: 4 };
const gate = { production: rank.high, dev: rank.critical };
const log = (line) => process.stdout.write(`audit: ${line}\n`);

function auditReport() {
  const at = process.argv.indexOf('--report');
  if (at !== -1) return readFileSync(process.argv[at + 1], 'utf8');
  const npm = spawnSync('npm', ['audit', '--json'], { cwd: root, encoding: 'utf8' });
  return npm.stdout || npm.stderr || String(npm.error ?? 'npm printed nothing');
}

/** The exceptions file, checked: every entry complete, none expired. */
function exceptions(today) {
  const file = process.env.INLET_AUDIT_EXCEPTIONS ?? path.join(root, '.ci/audit-exceptions.json');
  const entries = JSON.parse(readFileSync(file, 'utf8')).exceptions;
  const problems = [];
  for (const e of entries) {
    const name = `${e.advisory ?? '?'} in ${e.package ?? '?'}`;
    if (!e.advisory || !e.package || !e.reason || !/^\d{4}-\d{2}-\d{2}$/.test(e.expires ?? ''))
      problems.push(`exception ${name} needs advisory, package, reason and expires (YYYY-MM-DD)`);
    else if (e.expires < today)
      problems.push(`exception ${name} expired on ${e.expires}: fix it, or review and extend it`);
  }
  return { entries, problems };
}

/** Each advisory at or above its gate, with whether every copy of the package is a devDependency. */
function findings(report) {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages;
  const out = [];
  for (const [pkg, vuln] of Object.entries(report.vulnerabilities)) {
    const dev = vuln.nodes.length > 0 && vuln.nodes.every((n) => lock[n]?.dev === true);
    for (const via of vuln.via) {
      // A string names another vulnerable package this one depends on: reported under that one.
      if (typeof via === 'string') continue;
      if ((rank[via.severity] ?? rank.critical) < (dev ? gate.dev : gate.production)) continue;
      const advisory = /GHSA-[\w-]+/.exec(via.url ?? '')?.[0] ?? String(via.source);
      out.push({ pkg, advisory, severity: via.severity, title: via.title, dev });
    }
  }
  return out;
}

function main() {
  const today = new Date().toISOString().slice(0, 10);
  const { entries, problems } = exceptions(today);
  let report;
  try {
    report = JSON.parse(auditReport());
  } catch {
    report = { message: 'npm audit printed no JSON' };
  }
  if (!report.vulnerabilities) {
    const why = report.message || report.error?.summary || report.error?.code || 'no report';
    if (process.env.INLET_AUDIT_REQUIRED === 'true') {
      log(`FAILED: the dependency audit could not run (${why}); INLET_AUDIT_REQUIRED=true`);
      return 1;
    }
    log(`NOT RUN: the registry's advisory endpoint could not be reached (${why}).`);
    log(
      'Dependencies were NOT audited; a release build sets INLET_AUDIT_REQUIRED=true to fail here.',
    );
    for (const p of problems) log(p);
    return problems.length > 0 ? 1 : 0;
  }
  let failed = problems.length > 0;
  for (const p of problems) log(p);
  const found = findings(report);
  for (const f of found) {
    const where = `${f.advisory} (${f.severity}) in ${f.pkg}${f.dev ? ' [dev]' : ''}: ${f.title}`;
    const accepted = entries.find((e) => e.advisory === f.advisory && e.package === f.pkg);
    if (accepted) log(`accepted until ${accepted.expires}: ${where} (${accepted.reason})`);
    else {
      log(`VULNERABLE: ${where}`);
      failed = true;
    }
  }
  for (const e of entries)
    if (!found.some((f) => f.advisory === e.advisory && f.pkg === e.package))
      log(`exception ${e.advisory} in ${e.package} matches nothing now: remove it`);
  const counts = report.metadata?.vulnerabilities ?? {};
  log(
    `${failed ? 'FAILED' : 'ok'}: high/critical in production, critical in dev gate; ` +
      `all advisories: ${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
  );
  return failed ? 1 : 0;
}

process.exit(main());
