// CPU of one Gmail read as the sync makes it (googleapis history.list against a local server in
// another process, so only the client's side is measured): through gaxios's own fetch (node-fetch,
// with the per-call `timeout` the sync's reads used to carry) and through Inlet's read transport
// (src/providers/gmail/gmail-read-fetch.ts). Rounds alternate the two; min / median / max of the
// rounds, with the load average. `npm run bench -- googleapis-read` (named so that `-- gmail`
// still picks the push bench alone); GMAIL_READ_CALLS (2000) per round, GMAIL_READ_ROUNDS (5).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { pathToFileURL } from 'node:url';

import { google } from '../src/providers/gmail/gmail-api.js';
import { gmailReadFetch } from '../src/providers/gmail/gmail-read-fetch.js';
import { spread } from './lib/stats.js';

// A history page with one added message, about the size of a push-triggered sync's listing.
const server = `
const body = JSON.stringify({ history: [{ id: '12', messagesAdded: [{ message: { id: 'm1', threadId: 't1', labelIds: ['INBOX'] } }] }], historyId: '12' });
require('node:http').createServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }); res.end(body); })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

export async function runGmailReadBench(calls = 2000, rounds = 5) {
  const child = spawn(process.execPath, ['-e', server], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    const auth = new google.auth.OAuth2({ clientId: 'bench', clientSecret: 'bench' });
    auth.setCredentials({ access_token: 'a', expiry_date: Date.now() + 3_600_000 });
    const gmail = google.gmail({
      version: 'v1',
      auth,
      rootUrl: `http://127.0.0.1:${port}/`,
      retry: false,
    });
    const params = { userId: 'me', startHistoryId: '10', historyTypes: ['messageAdded'] };
    const ways = {
      'gaxios fetch + timeout': { timeout: 60_000 },
      'read transport': { fetchImplementation: gmailReadFetch(60_000) },
    };
    const perRead: Record<string, number[]> = {};
    for (let round = 0; round <= rounds; round++) {
      for (const [name, options] of Object.entries(ways)) {
        const cpu = process.cpuUsage();
        for (let i = 0; i < calls; i++) await gmail.users.history.list(params, options);
        const used = process.cpuUsage(cpu);
        // Round 0 warms both paths up and is not counted.
        if (round > 0) (perRead[name] ??= []).push((used.user + used.system) / calls);
      }
    }
    return { perRead, loadavg: os.loadavg()[0]! };
  } finally {
    child.kill();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const env = (k: string) => (process.env[k] ? Number(process.env[k]) : undefined);
  const { perRead, loadavg } = await runGmailReadBench(
    env('GMAIL_READ_CALLS'),
    env('GMAIL_READ_ROUNDS'),
  );
  console.log(`Gmail history.list, CPU µs per read on the client's side (min / median / max):`);
  for (const [name, xs] of Object.entries(perRead)) console.log(`  ${name}: ${spread(xs)}`);
  console.log(`load average ${loadavg.toFixed(2)}`);
}
