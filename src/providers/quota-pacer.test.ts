import { describe, expect, test } from 'vitest';

import { gmailCallUnits, gmailQuota } from './gmail/gmail-settings.js';
import { makePacerPool, makeQuotaPacer } from './quota-pacer.js';

/** A clock that only moves when someone sleeps: no timers, the same result on any machine. */
function fakeClock() {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      await Promise.resolve();
    },
  };
}

/** Most units started within any `windowMs` (the way Google's per-minute meter sees them). */
function peakWindow(starts: { at: number; units: number }[], windowMs: number): number {
  let peak = 0;
  for (const s of starts) {
    const sum = starts
      .filter((x) => x.at >= s.at && x.at < s.at + windowMs)
      .reduce((a, x) => a + x.units, 0);
    peak = Math.max(peak, sum);
  }
  return peak;
}

describe('quota pacer', () => {
  test('a Gmail backfill (list pages and 600 messages.get) runs at 0.8–1.0 of the per-user quota and never past it in any minute', async () => {
    const clock = fakeClock();
    const pacer = makeQuotaPacer(gmailQuota, clock);
    const t0 = clock.now();
    const starts: { at: number; units: number }[] = [];
    const call = async (what: string) => {
      const units = gmailCallUnits[what]!;
      await pacer.take(units);
      starts.push({ at: clock.now(), units });
    };
    await call('gmail getProfile');
    for (let page = 0; page < 6; page++) {
      await call('gmail messages.list');
      // The sync fetches a page's messages several at a time.
      for (let i = 0; i < 100; i += 4)
        await Promise.all([0, 1, 2, 3].map(() => call('gmail messages.get')));
    }
    const units = starts.reduce((a, s) => a + s.units, 0);
    expect(units).toBe(1 + 6 * 5 + 600 * 5);
    const perMinute = (units / (clock.now() - t0)) * 60_000;
    const share = perMinute / gmailQuota.units;
    expect(share).toBeGreaterThanOrEqual(0.8);
    expect(share).toBeLessThanOrEqual(1.0);
    expect(peakWindow(starts, 60_000)).toBeLessThanOrEqual(gmailQuota.units);
    // Spread evenly, not a burst then a stall: no second carries more than the burst plus its rate.
    expect(peakWindow(starts, 1000)).toBeLessThanOrEqual(
      gmailQuota.burstUnits + (gmailQuota.units / 60) * gmailQuota.share + 5,
    );
  });

  test('a lone call after an idle spell starts at once; concurrent callers are served in order', async () => {
    const clock = fakeClock();
    const pacer = makeQuotaPacer({ units: 600, windowMs: 60_000, share: 1, burstUnits: 10 }, clock);
    const t0 = clock.now();
    await pacer.take(5);
    expect(clock.now()).toBe(t0);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        await pacer.take(10);
        order.push(i);
      }),
    );
    expect(order).toEqual([0, 1, 2, 3]);
    // 10 units a second: the last call's units are reserved from 3,500 ms (45 before it, 5 + 3 × 10)
    // and it starts 1,000 ms (the 10-unit burst) before that.
    expect(clock.now() - t0).toBe(2500);
    expect(pacer.idle()).toBe(false);
    await clock.sleep(10_000);
    expect(pacer.idle()).toBe(true);
  });

  test('a pool keeps one pacer per mailbox and drops idle ones when it is full', async () => {
    const clock = fakeClock();
    let made = 0;
    const pool = makePacerPool(() => {
      made++;
      return makeQuotaPacer(gmailQuota, clock);
    }, 2);
    const a = pool.for('a');
    expect(pool.for('a')).toBe(a);
    await pool.for('b').take(1000); // far past the burst: b stays busy
    pool.for('c'); // full: a is idle and goes, b is kept
    expect(pool.for('b')).not.toBe(a);
    const made0 = made;
    pool.for('b');
    expect(made).toBe(made0);
    pool.for('a');
    expect(made).toBe(made0 + 1);
  });
});
