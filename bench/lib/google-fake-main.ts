// Child process of bench/lib/google-fake-process.ts: the strict Google fake (OAuth, JWKS, Gmail API,
// Pub/Sub push sender) in its own process, so its CPU (a JWT signed per push, history and messages
// served) is not counted as Inlet's. Answers the parent's calls over IPC: { id, method, args } →
// { id, result } or { id, error }.
import {
  type GoogleFake,
  type GoogleFakeOptions,
  startGoogleFake,
} from '../../test/fakes/google/index.js';

type Call = { id: number; method: string; args: unknown[] };

let fake: GoogleFake | null = null;

// Only what the benches use; each returns plain data (the IPC channel serialises it).
const methods: Record<string, (...args: never[]) => unknown> = {
  addUser: (email: string) => fake!.addUser(email),
  historyId: (email: string) => fake!.historyId(email),
  deliver: (email: string, raw: Uint8Array) => fake!.deliver(email, Buffer.from(raw)),
  configurePush: (config: Parameters<GoogleFake['configurePush']>[0]) =>
    fake!.configurePush(config),
  settlePushes: () => fake!.settlePushes(),
  callLog: () => fake!.callLog(),
};

process.on('message', (m: Call) => {
  void (async () => {
    try {
      const result =
        m.method === 'start'
          ? await start(m.args[0] as GoogleFakeOptions)
          : await methods[m.method]!(...(m.args as never[]));
      process.send!({ id: m.id, result });
    } catch (err) {
      process.send!({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});

async function start(opts: GoogleFakeOptions) {
  fake = await startGoogleFake(opts);
  const { url, gmailRootUrl, oauthEndpoints, jwksUrl, projectId } = fake;
  return { url, gmailRootUrl, oauthEndpoints, jwksUrl, projectId };
}

process.on('disconnect', () => {
  void (fake?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
