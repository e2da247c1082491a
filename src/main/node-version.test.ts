import { describe, expect, it } from 'vitest';

import { nodeTooOld } from './node-version.js';

describe('the Node.js version check', () => {
  it('turns away a Node 22 older than graphile-worker 0.18 runs on, saying what is needed', () => {
    expect(nodeTooOld('22.17.1')).toContain(
      'needs Node.js 22.18 or newer; this is Node.js 22.17.1',
    );
    expect(nodeTooOld('20.19.0')).toContain('needs Node.js 22.18 or newer');
  });

  it('accepts 22.18 and later majors', () => {
    expect(nodeTooOld('22.18.0')).toBeNull();
    expect(nodeTooOld('22.23.3')).toBeNull();
    expect(nodeTooOld('24.1.0')).toBeNull();
  });
});
