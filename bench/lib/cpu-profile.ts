// A V8 CPU profile of one stretch of a bench (the inspector's sampling profiler, in-process), so a
// profile shows the timed pass and not the start-up, the warm-up or the other passes around it.
// Open the written .cpuprofile in Chrome DevTools or summarise it with bench/lib/profile-summary.ts.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** Starts sampling (every `intervalUs` µs); the returned function stops and writes the profile to `file`. */
export async function startCpuProfile(intervalUs = 200): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await writeFile(file, JSON.stringify(profile));
  };
}
