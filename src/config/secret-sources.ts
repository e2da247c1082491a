// Where the secret variables may come from (docs/security.md control 8).
//
// Inlet loads no env file itself. Two ways put secrets into its environment:
//   * the orchestrator's secret store: the Helm chart injects them from a Kubernetes Secret
//     (secretKeyRef), a Vault/ESO sidecar writes them, and so on; or
//   * `NAME_FILE=/path` for any secret NAME: the file's content is the value, for secrets mounted as
//     files (Docker/Compose secrets under /run/secrets, systemd credentials, a Kubernetes Secret
//     volume), read once at boot. One trailing newline is dropped, as `echo` and editors add it.
// An env file that Node loaded (`node --env-file=F`, `--env-file-if-exists=F`; NODE_OPTIONS may not
// carry either) holds its values in plain text on disk, outside any secret store, and is copied
// along with the deployment's other files. In production a secret given there as a literal stops
// the start, naming the variable and the file, never the value. A database URL counts as a secret
// only when it carries a password (one without may use a client certificate or .pgpass).
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

import type { Variable } from './kinds.js';

type Env = Record<string, string | undefined>;
type Read = (path: string) => string;

const readUtf8: Read = (path) => readFileSync(path, 'utf8');

/** `env` with each secret's `NAME_FILE` read into NAME; a problem per variable that cannot be. */
export function withSecretFiles(
  env: Env,
  secrets: readonly Variable[],
  read: Read = readUtf8,
): { env: Env; problems: string[] } {
  const out: Env = { ...env };
  const problems: string[] = [];
  for (const { name } of secrets) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name}: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    let value: string;
    try {
      value = read(file).replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${name}_FILE: cannot read ${file} (${code})`);
      continue;
    }
    if (value === '') problems.push(`${name}_FILE: ${file} is empty`);
    else out[name] = value;
  }
  return { env: out, problems };
}

/** The env files Node loaded into this process, from its own command-line options. */
export function envFilesOf(execArgv: readonly string[]): string[] {
  const files: string[] = [];
  execArgv.forEach((arg, i) => {
    const m = /^--env-file(?:-if-exists)?(?:=(.*))?$/.exec(arg);
    if (!m) return;
    const file = m[1] ?? execArgv[i + 1];
    if (file !== undefined && file !== '') files.push(file);
  });
  return files;
}

function isLiteralSecret(v: Variable, value: string): boolean {
  if (value === '') return false;
  if (v.kind.type !== 'url') return true;
  try {
    return new URL(value).password !== '';
  } catch {
    return true; // not a URL at all: whatever it holds may be a secret
  }
}

/** One problem per secret variable given as a literal in one of `files` (an absent file is none). */
export function literalSecretsInEnvFiles(
  files: readonly string[],
  secrets: readonly Variable[],
  read: Read = readUtf8,
): string[] {
  const problems: string[] = [];
  for (const file of files) {
    let defined: NodeJS.Dict<string>;
    try {
      defined = parseEnv(read(file));
    } catch {
      continue; // --env-file-if-exists with no file: nothing was loaded from it
    }
    for (const v of secrets) {
      const value = defined[v.name];
      if (value === undefined || !isLiteralSecret(v, value)) continue;
      problems.push(
        `${v.name}: a literal secret in the env file ${file}, refused when NODE_ENV=production; ` +
          `inject it from the secret store (the Helm chart's existingSecret) or set ${v.name}_FILE to a mounted secret file`,
      );
    }
  }
  return problems;
}
