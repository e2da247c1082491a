// Renders the chart with the real Helm (installed by .ci/tools into ~/.cache/inlet-ci, or INLET_TOOLS).
// Without it, chart tests that need rendering are skipped with a reason; under CI they fail instead,
// so a missing install step cannot hide behind a green run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { parseAllDocuments } from 'yaml';

import { chartDir } from './template-text.js';

const tools = process.env.INLET_TOOLS ?? path.join(os.homedir(), '.cache/inlet-ci');
export const helmPath = path.join(tools, 'bin/helm');
export const helmMissing = existsSync(helmPath) ? null : `helm not installed at ${helmPath} (run .ci/tools)`;
if (helmMissing && process.env.CI) throw new Error(`${helmMissing}; CI must render the chart`);

export const kubeVersion = existsSync(path.join(tools, 'k8s-versions'))
  ? readFileSync(path.join(tools, 'k8s-versions'), 'utf8').trim().split(/\s+/)[0]!
  : '1.33.0';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = Record<string, any>;

/** `helm template` with --set pairs and/or values files; returns the rendered objects. */
export function render(opts: { set?: Record<string, string>; files?: string[] } = {}): Manifest[] {
  const args = ['template', 'inlet', chartDir, '--namespace', 'inlet', '--kube-version', kubeVersion];
  for (const f of opts.files ?? []) args.push('-f', path.join(chartDir, f));
  for (const [k, v] of Object.entries(opts.set ?? { 'existingSecret.name': 'inlet-secrets' })) args.push('--set', `${k}=${v}`);
  const text = execFileSync(helmPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(text).map((d) => d.toJS() as Manifest).filter((d) => d && typeof d === 'object');
}

export function renderError(set: Record<string, string>): string {
  try {
    render({ set });
    return '';
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}

export const find = (docs: Manifest[], kind: string, nameSuffix: string): Manifest => {
  const doc = docs.find((d) => d.kind === kind && String(d.metadata.name).endsWith(nameSuffix));
  if (!doc) throw new Error(`no ${kind} *${nameSuffix} in the rendering`);
  return doc;
};
