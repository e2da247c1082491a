// Which recipients of a delivery report count as failed (and so mark a reply bounced).
import { describe, expect, it } from 'vitest';

import { failedRecipients } from './bounce-link.js';
import type { BounceRecipient } from './types.js';

const r = (action: string | null, status: string | null): BounceRecipient => ({
  address: 'kai@client.example',
  action,
  status,
  hard: status?.startsWith('5') ?? false,
  diagnostic: null,
});

describe('failedRecipients', () => {
  it('keeps failures, leaves out delays and every kind of success report', () => {
    expect(failedRecipients([r('failed', '5.1.1')])).toHaveLength(1);
    expect(failedRecipients([r('failed', '4.4.7')])).toHaveLength(1);
    expect(failedRecipients([r(null, null)])).toHaveLength(1);
    for (const ok of [
      r('delayed', '4.4.7'),
      r('delivered', '2.0.0'),
      r('relayed', '2.0.0'),
      r('expanded', '2.0.0'),
      // Postfix's reply to an address check: the address works.
      r('deliverable', '2.1.5'),
      // An action word we do not know with a success status.
      r('verified', '2.1.5'),
    ])
      expect(failedRecipients([ok])).toEqual([]);
  });
});
