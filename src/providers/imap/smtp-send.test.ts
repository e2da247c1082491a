import { describe, expect, it } from 'vitest';

import { isProviderError } from '../provider-errors.js';
import { backoffDelay } from './imap-idle.js';
import { envelopeFromMime } from './smtp-send.js';

describe('envelopeFromMime', () => {
  it('sends to To, Cc and Bcc once each and strips the Bcc header, folded lines included', () => {
    const mime = Buffer.from(
      'From: "Support, Team" <support@example.test>\r\nTo: A <a@x.test>, b@x.test\r\nCc: =?UTF-8?Q?J=C3=BCrgen?= <j@x.test>,\r\n A@X.test\r\n' +
        'Bcc: hidden@y.test,\r\n other@y.test\r\nSubject: hi\r\n\r\nBcc: this line is body text\r\n',
    );
    const env = envelopeFromMime(mime);
    expect(env.from).toBe('support@example.test');
    expect(env.to).toEqual(['a@x.test', 'b@x.test', 'j@x.test', 'hidden@y.test', 'other@y.test']);
    const sent = env.transmit.toString();
    expect(sent).not.toContain('hidden@y.test');
    expect(sent).toContain('Subject: hi\r\n\r\nBcc: this line is body text\r\n');
    expect(sent.startsWith('From: "Support, Team" <support@example.test>\r\nTo: A')).toBe(true);
  });

  it('keeps the bytes untouched when there is no Bcc', () => {
    const mime = Buffer.from('From: s@example.test\nTo: r@x.test\n\nbody\n');
    expect(envelopeFromMime(mime).transmit).toBe(mime);
  });

  it('refuses a message without sender or recipients as a permanent error', () => {
    for (const raw of ['To: r@x.test\r\n\r\nx', 'From: s@example.test\r\n\r\nx']) {
      let caught: unknown;
      try {
        envelopeFromMime(Buffer.from(raw));
      } catch (e) {
        caught = e;
      }
      expect(isProviderError(caught) && caught.kind).toBe('permanent');
    }
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt within +-50% jitter and stops at the cap', () => {
    expect(backoffDelay(0, 1000, 300_000, () => 0)).toBe(500);
    expect(backoffDelay(3, 1000, 300_000, () => 0.5)).toBe(8000);
    expect(backoffDelay(40, 1000, 300_000, () => 0.999)).toBeLessThanOrEqual(450_000);
    expect(backoffDelay(40, 1000, 300_000, () => 0)).toBe(150_000);
  });
});
