import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import type { ClamdVersion } from './clamd-version.js';
import { watchSignatureAge } from './signature-age.js';

const hour = 3_600_000;
const start = Date.parse('2026-12-07T12:00:00Z');

function watch(answer: () => ClamdVersion | null) {
  let now = start;
  let asked = 0;
  const registry = new Registry();
  const age = watchSignatureAge({
    version: async () => {
      asked++;
      return answer();
    },
    maxAgeMs: 24 * hour,
    registry,
    refreshMs: 60_000,
    now: () => now,
  });
  const metric = async () =>
    (await registry.getSingleMetric('inlet_clamd_signatures_age_seconds')?.get())?.values;
  return {
    age,
    registry,
    metric,
    asked: () => asked,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const dated = (hoursOld: number): ClamdVersion => ({
  engine: '1.4.2',
  databaseVersion: 27480,
  databaseBuilt: new Date(start - hoursOld * hour),
});

describe('watchSignatureAge', () => {
  it('is checking before the first answer, then ok for a fresh database', async () => {
    const w = watch(() => dated(2));
    expect(w.age.state()).toBe('checking');
    await w.age.refresh();
    expect(w.age.state()).toBe('ok');
    expect(await w.metric()).toEqual([{ value: 2 * 3600, labels: {} }]);
    const limit = await w.registry.getSingleMetric('inlet_clamd_signatures_max_age_seconds')?.get();
    expect(limit?.values[0]?.value).toBe(24 * 3600);
  });

  it('turns stale once the database passes the limit', async () => {
    const w = watch(() => dated(23));
    await w.age.refresh();
    expect(w.age.state()).toBe('ok');
    w.advance(2 * hour);
    await w.age.refresh();
    expect(w.age.state()).toBe('stale_signatures');
  });

  it('calls an undated database age_unknown and exports its age as NaN; no answer is unavailable', async () => {
    const undated = watch(() => ({ engine: '1.4.2', databaseVersion: null, databaseBuilt: null }));
    await undated.age.refresh();
    expect(undated.age.state()).toBe('age_unknown');
    expect((await undated.metric())?.[0]?.value).toBeNaN();
    const silent = watch(() => null);
    await silent.age.refresh();
    expect(silent.age.state()).toBe('unavailable');
  });

  it('asks clamd at most once per refresh period however often it is probed', async () => {
    const w = watch(() => dated(1));
    await w.age.refresh();
    for (let i = 0; i < 5; i++) w.age.state();
    await w.metric();
    expect(w.asked()).toBe(1);
    w.advance(61_000);
    await w.age.refresh();
    expect(w.asked()).toBe(2);
  });
});
