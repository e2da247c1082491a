import { describe, expect, it } from 'vitest';

import { hasUnsafeHeaderChars } from '../outbound/header-safety.js';
import { replySubject } from './ticket-token.js';

describe('replySubject', () => {
  it('puts an inbound subject with line breaks or controls on one line instead of refusing it', () => {
    expect(replySubject('Hello\r\nBcc: victim@evil.example', 1042)).toBe(
      'Re: Hello Bcc: victim@evil.example [#1042]',
    );
    expect(replySubject('Re: a\u2028b\u0007c\n\n', 7)).toBe('Re: a bc [#7]');
    for (const s of ['x\ry', 'x\u0085y', '\u0000', 'a\u001b[31mb'])
      expect(hasUnsafeHeaderChars(replySubject(s, 1))).toBe(false);
  });
});
