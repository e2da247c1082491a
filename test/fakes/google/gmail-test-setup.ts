// Shared setup of the fake's Gmail tests: a fresh fake with one mailbox (Alice, with an alias) and a
// googleapis client connected to it, a mail builder and a check for the client's error shape.
import type { GaxiosError } from 'gaxios';
import { expect } from 'vitest';

import type { Connected } from './connect.js';
import { connect } from './connect.js';
import type { GoogleFake } from './index.js';
import { startGoogleFake } from './index.js';

export const ALICE = 'alice@acme.example';

export const mail = (subject: string, extra = '') =>
  Buffer.from(
    `From: Carol <carol@customer.example>\r\nTo: ${ALICE}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@customer.example>\r\n${extra}` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\nHello — ünïcode body\r\n`,
  );
export const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export async function errorOf(p: Promise<unknown>): Promise<GaxiosError> {
  // googleapis and google-auth-library each carry their own gaxios copy, so `instanceof
  // GaxiosError` depends on which client made the call; check the shape instead.
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  expect((e as GaxiosError).response?.status).toBeTypeOf('number');
  return e as GaxiosError;
}

export async function startAliceFake(): Promise<{ fake: GoogleFake; alice: Connected }> {
  const fake = await startGoogleFake();
  fake.addUser(ALICE, { aliases: ['support@acme.example'] });
  fake.configurePush({
    endpoint: `${fake.url}/nowhere`,
    audience: 'aud',
    serviceAccountEmail: 'push@inlet-test.iam.gserviceaccount.com',
    maxAttempts: 1,
  });
  return { fake, alice: await connect(fake, ALICE) };
}
