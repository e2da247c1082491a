// The Google fake in a child process (google-fake-main.ts), so a bench charges Inlet only its own
// CPU and reports the fake's apart (/proc/<pid>/stat of the child). The calls a bench makes on the
// fake become asynchronous; everything else (the HTTP endpoints) is the same fake.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type {
  CallLogEntry,
  GoogleFake,
  GoogleFakeOptions,
  PushConfig,
} from '../../test/fakes/google/index.js';
import { treeCpuMs } from './proc-cpu.js';

export interface GoogleFakeProcess extends Pick<
  GoogleFake,
  'url' | 'gmailRootUrl' | 'oauthEndpoints' | 'jwksUrl' | 'projectId'
> {
  addUser(email: string): Promise<{ sub: string }>;
  /** Rejects when the user does not exist. */
  historyId(email: string): Promise<string>;
  deliver(email: string, raw: Buffer): Promise<{ id: string; threadId: string; historyId: string }>;
  configurePush(config: PushConfig): Promise<void>;
  settlePushes(): Promise<void>;
  callLog(): Promise<CallLogEntry[]>;
  /** CPU ms the fake's process has used so far (null off Linux). */
  cpuMs(): number | null;
  close(): Promise<void>;
}

export async function startGoogleFakeProcess(opts: GoogleFakeOptions): Promise<GoogleFakeProcess> {
  const child = fork(
    path.join(path.dirname(fileURLToPath(import.meta.url)), 'google-fake-main.ts'),
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Buffers (raw mail) cross as bytes, not as JSON arrays of numbers.
      serialization: 'advanced',
    },
  );
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(m.error));
    else p?.resolve(m.result);
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error('the Google fake process exited'));
  });
  const call = <T>(method: string, ...args: unknown[]) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, method, args });
    });
  const endpoints = await call<
    Pick<GoogleFake, 'url' | 'gmailRootUrl' | 'oauthEndpoints' | 'jwksUrl' | 'projectId'>
  >('start', opts);
  return {
    ...endpoints,
    addUser: (email) => call('addUser', email),
    historyId: (email) => call('historyId', email),
    deliver: (email, raw) => call('deliver', email, raw),
    configurePush: (config) => call('configurePush', config),
    settlePushes: () => call('settlePushes'),
    callLog: () => call('callLog'),
    cpuMs: () => treeCpuMs(child.pid),
    close: async () => {
      child.disconnect();
      await exited;
    },
  };
}
