// The problem lines loadConfig refuses a configuration with (none when it loads).
import { ConfigError, loadConfig } from '../../src/config.js';

export function configProblems(
  env: Record<string, string | undefined>,
  envFiles: readonly string[] = [],
): string[] {
  try {
    loadConfig(env, envFiles);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
