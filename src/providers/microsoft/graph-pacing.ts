// Per-mailbox admission for Graph calls, shared by every provider instance of the process: at most
// `concurrency` requests in flight (Outlook allows 4 per app+mailbox), starts paced to stay under
// `maxRequests` per `windowMs` (10,000 per 10 minutes) with a 5 % margin, and a "not before" set from
// any Retry-After so one throttled call holds back its siblings instead of hammering on.
import type { GraphLimits } from './microsoft-settings.js';

export interface MailboxPacer {
  /** Resolves when a request may start; call the returned function when it has finished. */
  admit(): Promise<() => void>;
  /** Retry-After seen: nothing for this mailbox starts before `until` (ms epoch). */
  holdUntil(until: number): void;
}

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export function makeMailboxPacer(limits: GraphLimits, clock: PacerClock): MailboxPacer {
  const budget = Math.max(1, Math.floor(limits.maxRequests * 0.95));
  const starts: number[] = [];
  let inFlight = 0;
  let notBefore = 0;
  const waiting: (() => void)[] = [];

  const release = () => {
    inFlight--;
    waiting.shift()?.();
  };

  return {
    async admit() {
      while (inFlight >= limits.concurrency) await new Promise<void>((r) => waiting.push(r));
      inFlight++;
      try {
        for (;;) {
          const now = clock.now();
          while (starts.length > 0 && starts[0]! <= now - limits.windowMs) starts.shift();
          const wait = Math.max(
            notBefore - now,
            starts.length >= budget ? starts[0]! + limits.windowMs - now : 0,
          );
          if (wait <= 0) break;
          await clock.sleep(wait);
        }
      } catch (err) {
        release();
        throw err;
      }
      starts.push(clock.now());
      let done = false;
      return () => {
        if (done) return;
        done = true;
        release();
      };
    },
    holdUntil(until) {
      notBefore = Math.max(notBefore, until);
    },
  };
}
