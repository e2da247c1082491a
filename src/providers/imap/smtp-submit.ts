// One SMTP submission driven step by step (nodemailer's SMTPConnection rather than its transport),
// so the caller learns the point of no return: the message bytes are handed over only after the
// server answered DATA with 354, and `onTransmit` runs (and is awaited) just before. A crash before
// that point cannot have delivered anything; after it, only the Sent check can tell (send-reply.ts).
import { Readable } from 'node:stream';

import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import XOAuth2 from 'nodemailer/lib/xoauth2/index.js';

import type { ParsedEnvelope } from './smtp-send.js';

export type SmtpOptions = ConstructorParameters<typeof SMTPConnection>[0] & {
  auth: { user: string; pass: string } | { type: 'OAuth2'; user: string; accessToken: string };
};

/** A stream that yields `bytes` only once `gate` resolved; nodemailer pipes it after DATA's 354. */
class GatedMessage extends Readable {
  private started = false;

  constructor(
    private readonly bytes: Buffer,
    private readonly gate: () => Promise<void>,
  ) {
    super();
  }

  override _read(): void {
    if (this.started) return;
    this.started = true;
    this.gate().then(
      () => {
        this.push(this.bytes);
        this.push(null);
      },
      // Destroyed before any byte: the server never sees the terminating dot and drops the DATA.
      (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

function loginData(auth: SmtpOptions['auth']) {
  if ('accessToken' in auth)
    return {
      user: auth.user,
      oauth2: new XOAuth2({ user: auth.user, accessToken: auth.accessToken }),
    };
  return { user: auth.user, pass: auth.pass };
}

/** Connects, authenticates, submits, quits. Rejects with nodemailer's error (responseCode when the
 *  server answered) so provider-errors can classify it. */
export function submitGated(
  options: SmtpOptions,
  env: ParsedEnvelope,
  onTransmit: () => Promise<void>,
): Promise<void> {
  const { auth, ...connOptions } = options;
  const conn = new SMTPConnection(connOptions);
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err: unknown) => {
      if (done) return;
      done = true;
      if (err) {
        conn.close();
        reject(err instanceof Error ? err : new Error(String(err)));
      } else {
        conn.quit();
        resolve();
      }
    };
    const message = new GatedMessage(env.transmit, onTransmit);
    let messageWritten = false;
    message.once('end', () => (messageWritten = true));
    // A failure before the whole message went into the connection cannot have delivered it: the
    // server accepts only after the terminating dot, which follows the last byte. Said on the
    // error, so the send job may retry without the Sent check's doubt (provider-errors notDelivered).
    const fail = (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      if (!messageWritten) Object.assign(e, { messageIncomplete: true });
      finish(e);
    };
    conn.once('error', fail);
    conn.once('end', () => fail(new Error('SMTP connection closed')));
    conn.connect((err) => {
      if (err) return fail(err);
      const submit = () =>
        conn.send({ from: env.from, to: env.to }, message, (sendErr) =>
          sendErr ? fail(sendErr) : finish(null),
        );
      // As nodemailer's transport: authenticate when the server offers AUTH.
      if (!conn.allowsAuth) return submit();
      conn.login(loginData(auth), (loginErr) => (loginErr ? fail(loginErr) : submit()));
    });
  });
}
