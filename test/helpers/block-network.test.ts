import net from 'node:net';

import { expect, test } from 'vitest';

test('tests cannot open connections beyond loopback', async () => {
  await expect(fetch('http://142.250.1.1/')).rejects.toThrow();
  expect(() => net.connect(443, '142.250.1.1')).toThrow(/outbound network is blocked/);
  expect(() => net.connect({ host: 'gmail.googleapis.com', port: 443 })).toThrow(
    /outbound network is blocked/,
  );
  const local = net.connect(9, '127.0.0.1');
  local.on('error', () => undefined);
  local.destroy();
});
