import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect, test } from 'vitest';

import { readZip } from '../../test/helpers/zip.js';
import { zip } from './zip.js';

test('entries round-trip, stored and deflated, with UTF-8 names', () => {
  const entries = [
    { name: 'a.json', data: Buffer.from('{"x":1}') },
    { name: 'dir/ünï.txt', data: Buffer.from('hello '.repeat(500)) },
    { name: 'empty', data: Buffer.alloc(0) },
  ];
  const out = readZip(zip(entries));
  expect([...out.keys()]).toEqual(entries.map((e) => e.name));
  for (const e of entries) expect(out.get(e.name)).toEqual(e.data);
});

test('the archive is valid for a standard unzip when one is installed', () => {
  let hasUnzip = true;
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
  } catch {
    hasUnzip = false;
  }
  if (!hasUnzip) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'zip-'));
  writeFileSync(
    path.join(dir, 't.zip'),
    zip([{ name: 'x.txt', data: Buffer.from('x'.repeat(1000)) }]),
  );
  expect(execFileSync('unzip', ['-t', path.join(dir, 't.zip')]).toString()).toMatch(/No errors/);
});
