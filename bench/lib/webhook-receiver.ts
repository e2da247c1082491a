// A webhook receiver in a child process (receiver-main.ts): the bench learns what arrived, and when
// (absolute ms, performance.timeOrigin + now()), without the receiver's CPU in the measured process.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReceiverProcess {
  url: string;
  /** Deliveries received so far. */
  count(): number;
  /** Called with each delivery's token and arrival time. */
  onDelivery: ((token: string, at: number) => void) | null;
  close(): Promise<void>;
}

export const wallNow = () => performance.timeOrigin + performance.now();

export async function startReceiverProcess(): Promise<ReceiverProcess> {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'receiver-main.ts'), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let n = 0;
  const r: ReceiverProcess = {
    url: '',
    count: () => n,
    onDelivery: null,
    close: async () => {
      const exited = new Promise((res) => child.once('exit', res));
      child.disconnect();
      await exited;
    },
  };
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m: { port: number } | [string, number][]) => {
      if (!Array.isArray(m)) return resolve(m.port);
      n += m.length;
      for (const [token, at] of m) r.onDelivery?.(token, at);
    });
  });
  r.url = `http://127.0.0.1:${port}/hook`;
  return r;
}
