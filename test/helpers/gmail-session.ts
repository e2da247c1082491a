// A Gmail session (the real googleapis client, Inlet's call wrapper and read transport) against a
// tiny local HTTP server that answers as a test tells it: for the sync's reads under faults a
// strict fake does not make (silence, cut or compressed answers, odd error bodies).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach } from 'vitest';

import {
  type GmailRuntime,
  type GmailSession,
  makeGmailSession,
} from '../../src/providers/gmail/gmail-client.js';
import { makePacerPool, makeQuotaPacer } from '../../src/providers/quota-pacer.js';

/** Starts `handler` on a free port (closed after each test); the URL to use as Gmail's API root. */
export function gmailServers(): (handler: http.RequestListener) => Promise<string> {
  let servers: http.Server[] = [];
  afterEach(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    servers = [];
  });
  return async (handler) => {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  };
}

/** A session whose reads give up after `requestTimeoutMs`, with a fresh access token already held. */
export function gmailReadSession(
  gmailApiUrl: string,
  requestTimeoutMs: number,
  maxMessageBytes?: number,
): GmailSession {
  const rt: GmailRuntime = {
    client: {
      clientId: 'c',
      clientSecret: 's',
      redirectUri: 'https://inlet.test/cb',
      endpoints: {
        authUrl: gmailApiUrl,
        tokenUrl: gmailApiUrl,
        revokeUrl: gmailApiUrl,
        gmailApiUrl,
      },
    },
    backoff: { baseMs: 1, maxWaitMs: 10, attempts: 2 },
    tokens: new Map(),
    notBefore: new Map(),
    pacers: makePacerPool(() =>
      makeQuotaPacer({ units: 1e6, windowMs: 1000, share: 1, burstUnits: 1e6 }),
    ),
    onAuthRevoked: async () => undefined,
    onSendGrant: async () => undefined,
    requestTimeoutMs,
    ...(maxMessageBytes ? { maxMessageBytes } : {}),
  };
  const creds = {
    v: 1 as const,
    tenantId: 't',
    mailboxId: 'm',
    address: 'a@example.com',
    refreshToken: 'r',
    scopes: [],
  };
  const s = makeGmailSession(creds, rt);
  s.auth.setCredentials({ access_token: 'tok', expiry_date: Date.now() + 3_600_000 });
  return s;
}
