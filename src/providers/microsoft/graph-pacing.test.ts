import { describe, expect, test } from 'vitest';

import { makeMailboxPacer } from './graph-pacing.js';
import { defaultLimits } from './microsoft-settings.js';

function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      await Promise.resolve();
    },
  };
}

describe('mailbox pacer', () => {
  test('never more than the concurrency limit in flight', async () => {
    const pacer = makeMailboxPacer({ ...defaultLimits, concurrency: 4 }, fakeClock());
    let now = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const done = await pacer.admit();
        peak = Math.max(peak, ++now);
        await new Promise((r) => setTimeout(r, 1));
        now--;
        done();
      }),
    );
    expect(peak).toBe(4);
  });

  test('starts stay under the window budget, and a Retry-After holds every later start', async () => {
    const clock = fakeClock();
    const pacer = makeMailboxPacer({ ...defaultLimits, maxRequests: 20, windowMs: 1000 }, clock);
    const starts: number[] = [];
    for (let i = 0; i < 40; i++) {
      (await pacer.admit())();
      starts.push(clock.now());
    }
    // 19 per window (95 % of 20): the 20th start waits for the first to leave the window.
    expect(starts[18]).toBe(0);
    expect(starts[19]).toBe(1000);
    for (let i = 19; i < starts.length; i++)
      expect(starts[i]! - starts[i - 19]!).toBeGreaterThanOrEqual(1000);
    pacer.holdUntil(clock.now() + 5000);
    const before = clock.now();
    (await pacer.admit())();
    expect(clock.now() - before).toBeGreaterThanOrEqual(5000);
  });
});
