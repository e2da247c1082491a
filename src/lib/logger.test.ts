import { Writable } from 'node:stream';

import { expect, test } from 'vitest';

import { makeLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: makeLogger({ level: 'debug', destination }) };
}

test('credentials and mail content are censored at any depth', () => {
  const { lines, logger } = capture();
  logger.info(
    {
      password: 'hunter2-top',
      req: { headers: { authorization: 'Bearer sk_live_abc', cookie: 'sid=xyz' } },
      mailbox: { imap: { password: 'hunter2-nested' }, refresh_token: '1//refresh' },
      message: { subject: 'Quarterly layoffs', text: 'confidential body', from: 'ceo@example.com' },
    },
    'hello',
  );
  const out = lines.join('');
  for (const secret of [
    'hunter2-top',
    'sk_live_abc',
    'sid=xyz',
    'hunter2-nested',
    '1//refresh',
    'Quarterly layoffs',
    'confidential body',
    'ceo@example.com',
  ]) {
    expect(out).not.toContain(secret);
  }
  expect(out).toContain('[redacted]');
  expect(out).toContain('hello');
});
