// LISTEN inlet_events on a connection of its own: the events trigger's NOTIFY arrives at commit and
// wakes the dispatcher at once. LISTEN only shortens the wait (the dispatcher polls every second
// without it), so the listener connects in the background and reconnects with backoff after losing
// its connection: a database slow to accept at start-up (or restarting) must not stop the worker.
import type pg from 'pg';

import type { Db } from '../store/db.js';

export interface EventListener {
  stop(): Promise<void>;
}

export function listenForEvents(db: Db, onNotify: () => void): EventListener {
  let running = true;
  let stopListening: (() => void) | null = null;

  async function loop(): Promise<void> {
    for (let attempt = 0; running; attempt++) {
      let client: pg.PoolClient | null = null;
      let broken = false;
      try {
        client = await db.pool.connect();
        client.on('notification', onNotify);
        const ended = new Promise<void>((resolve) => {
          client!.once('error', () => {
            broken = true;
            resolve();
          });
          client!.once('end', () => {
            broken = true;
            resolve();
          });
          stopListening = resolve;
          if (!running) resolve(); // stopped while connecting
        });
        await client.query('LISTEN inlet_events');
        attempt = 0;
        // Anything committed while (re)connecting is picked up by this poke, not the next tick.
        onNotify();
        await ended;
      } catch {
        broken = true;
      } finally {
        stopListening = null;
        if (client) {
          if (!broken) await client.query('UNLISTEN inlet_events').catch(() => undefined);
          client.release(broken);
        }
      }
      if (!running) break;
      // Back off before reconnecting; stop() cuts the wait short.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)));
        stopListening = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      stopListening = null;
    }
  }

  const done = loop();
  return {
    stop: async () => {
      running = false;
      stopListening?.();
      await done;
    },
  };
}
