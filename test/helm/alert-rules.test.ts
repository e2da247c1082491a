// promtool unit tests of the chart's alert rules (helm/inlet/files/alerts.yaml) against series we
// write: the stale-signature alert follows the limit the app exports, and an unknown age never fires;
// credential decrypts alert only when jobs and notifications do not explain them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

function promtoolMissing(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    if (process.env.CI) throw new Error('promtool is missing; .ci/tools installs it');
    return true;
  }
}

const rules = resolve(import.meta.dirname, '../../helm/inlet/files/alerts.yaml');

/** Runs `promtool test rules` on one test file; returns its output, throws with it on failure. */
function promtoolTest(tests: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'inlet-rules-'));
  try {
    const file = join(dir, 'test.yaml');
    writeFileSync(file, `rule_files:\n  - ${JSON.stringify(rules)}\nevaluation_interval: 1m\n${tests}`);
    return execFileSync('promtool', ['test', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool test rules failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(promtoolMissing())('alert rules (promtool)', () => {
  it('InletStoredMessageDamaged fires when the rebuild finds an original failing its integrity check, not for other skips', () => {
    const out = promtoolTest(`tests:
  - interval: 1m
    input_series:
      - series: 'inlet_reparse_messages_total{instance="a",outcome="skipped_unreadable"}'
        values: '0x20 1x40'
      - series: 'inlet_reparse_messages_total{instance="a",outcome="skipped_attachments_changed"}'
        values: '0+1x60'
    alert_rule_test:
      - eval_time: 15m
        alertname: InletStoredMessageDamaged
        exp_alerts: []
      - eval_time: 30m
        alertname: InletStoredMessageDamaged
        exp_alerts:
          - exp_labels: { severity: warning }
            exp_annotations:
              summary: A stored message (its original or a sealed view) failed its integrity check while its views were rebuilt (tampering or damaged storage); the worker log names the message.
`);
    expect(out).toContain('SUCCESS');
  });

  it('InletClamdSignaturesStale fires after 30 min above the exported limit, never for NaN', () => {
    const out = promtoolTest(`tests:
  - interval: 1m
    input_series:
      # 30 h old against a 24 h limit: stale.
      - series: 'inlet_clamd_signatures_age_seconds{instance="a"}'
        values: '108000+60x60'
      - series: 'inlet_clamd_signatures_max_age_seconds{instance="a"}'
        values: '86400x60'
      # 30 h old against a 48 h limit: fine.
      - series: 'inlet_clamd_signatures_age_seconds{instance="b"}'
        values: '108000+60x60'
      - series: 'inlet_clamd_signatures_max_age_seconds{instance="b"}'
        values: '172800x60'
      # No dated database: NaN.
      - series: 'inlet_clamd_signatures_age_seconds{instance="c"}'
        values: '${Array(61).fill('NaN').join(' ')}'
      - series: 'inlet_clamd_signatures_max_age_seconds{instance="c"}'
        values: '86400x60'
    alert_rule_test:
      - eval_time: 20m
        alertname: InletClamdSignaturesStale
        exp_alerts: []
      - eval_time: 45m
        alertname: InletClamdSignaturesStale
        exp_alerts:
          - exp_labels: { severity: warning }
            exp_annotations:
              summary: clamd scans with virus signatures older than CLAMD_SIGNATURES_MAX_AGE_HOURS (/readyz says degraded); check freshclam (its logs, its network to the signature mirror).
`);
    expect(out).toContain('SUCCESS');
  });

  // A fleet of 100 mailboxes at ~480 decrypts a day each (0.56/s): every sync, send and upkeep
  // job decrypts once, Microsoft refreshes re-seal within some of them, the Graph notification
  // checks mostly hit their cache.
  const normalLoad = `
      - series: 'inlet_jobs_started_total{instance="w1",task="mailbox.sync"}'
        values: '0+33x90'
      - series: 'inlet_credentials_opened_total{instance="w1",purpose="sync"}'
        values: '0+33x90'
      - series: 'inlet_jobs_started_total{instance="w1",task="reply.send"}'
        values: '0+2x90'
      - series: 'inlet_credentials_opened_total{instance="w1",purpose="send"}'
        values: '0+2x90'
      - series: 'inlet_credentials_opened_total{instance="w1",purpose="credentials_update"}'
        values: '0+4x90'
      - series: 'inlet_graph_notifications_total{instance="api1",kind="change",outcome="queued"}'
        values: '0+12x90'
      - series: 'inlet_credentials_opened_total{instance="api1",purpose="push_check"}'
        values: '0+3x90'`;
  const opensSummary = (purpose: string) =>
    `Mailbox credentials are decrypted for ${purpose} far more often than jobs and notifications explain: look for the mailbox and worker in GET /v1/audit?action=credentials.open.`;

  it('InletCredentialOpensUnexplained stays quiet under normal load and a few opens without jobs', () => {
    const out = promtoolTest(`tests:
  - interval: 1m
    input_series:${normalLoad}
      # Upkeep that ran before this window: ten decrypts in 90 minutes and no job start seen.
      - series: 'inlet_credentials_opened_total{instance="w2",purpose="upkeep"}'
        values: '0+0.11x90'
    alert_rule_test:
      - eval_time: 90m
        alertname: InletCredentialOpensUnexplained
        exp_alerts: []
`);
    expect(out).toContain('SUCCESS');
  });

  it('InletCredentialOpensUnexplained fires for decrypts far above their jobs and for a purpose with no job', () => {
    const out = promtoolTest(`tests:
  - interval: 1m
    input_series:${normalLoad}
      # A worker decrypting for sync ten times per sync job started.
      - series: 'inlet_jobs_started_total{instance="w2",task="mailbox.sync"}'
        values: '0+3x90'
      - series: 'inlet_credentials_opened_total{instance="w2",purpose="sync"}'
        values: '0+400x90'
      # Upkeep decrypts (two a minute) while no upkeep job ever started.
      - series: 'inlet_credentials_opened_total{instance="w3",purpose="upkeep"}'
        values: '0+2x90'
    alert_rule_test:
      - eval_time: 10m
        alertname: InletCredentialOpensUnexplained
        exp_alerts: []
      - eval_time: 40m
        alertname: InletCredentialOpensUnexplained
        exp_alerts:
          - exp_labels: { severity: warning, purpose: sync }
            exp_annotations: { summary: '${opensSummary('sync')}' }
          - exp_labels: { severity: warning, purpose: upkeep }
            exp_annotations: { summary: '${opensSummary('upkeep')}' }
`);
    expect(out).toContain('SUCCESS');
  });
});
