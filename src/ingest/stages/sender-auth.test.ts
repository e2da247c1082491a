import { describe, expect, test } from 'vitest';

import type { ParsedMessage } from '../types.js';
import { deceptionFlags } from './deception.js';
import { parseAuthResults, senderAuth, trustNothing } from './sender-auth.js';

const gmail = { ids: ['mx.google.com'], idless: false };
const microsoft = { ids: [], idless: true };

const msg = (authResults: string[], from = { name: '', address: 'ann@client.example' }) =>
  ({ headers: new Map([['authentication-results', authResults]]), from }) as ParsedMessage;

// Fields written for these tests in the shapes the providers use.
const googleFail =
  'mx.google.com; dkim=fail header.i=@client.example header.s=s1 header.b=AbCd; spf=softfail (google.com: domain of transitioning ann@client.example does not designate 192.0.2.7 as permitted sender) smtp.mailfrom=ann@client.example; dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=client.example';
const forgedPass =
  'mx.google.com; dkim=pass header.i=@client.example; spf=pass smtp.mailfrom=ann@client.example; dmarc=pass header.from=client.example';
const microsoftPass =
  'spf=pass (sender IP is 192.0.2.9) smtp.mailfrom=client.example; dkim=pass (signature was verified) header.d=client.example;dmarc=pass action=none header.from=client.example;compauth=pass reason=100';

describe('Authentication-Results (RFC 8601)', () => {
  test('a forged field under the real failing one is ignored: the topmost trusted field decides', () => {
    expect(senderAuth(msg([googleFail, forgedPass]), gmail)).toEqual({
      authserv_id: 'mx.google.com',
      trusted_header: true,
      spf: 'softfail',
      dkim: 'fail',
      dmarc: 'fail',
      deception: [],
      withheld_from: null,
    });
  });

  test("a field under another authserv-id is not the provider's, whatever it says", () => {
    const a = senderAuth(
      msg(['mx.evil.example; dmarc=pass header.from=client.example', 'spf=pass; dmarc=pass']),
      gmail,
    );
    expect(a).toMatchObject({ trusted_header: false, dmarc: null, spf: null });
    // The id-less form is Microsoft's; at Gmail it is a sender's copy.
    expect(senderAuth(msg([microsoftPass]), gmail).trusted_header).toBe(false);
    expect(senderAuth(msg([forgedPass]), trustNothing).trusted_header).toBe(false);
  });

  test("Microsoft 365's id-less field is read, comments and stray domains between results skipped", () => {
    const withDomains =
      'spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=bounce.example; rcpt.example; dkim=pass (signature was verified) header.d=client.example;other.example; dmarc=bestguesspass action=none header.from=client.example;';
    expect(senderAuth(msg([microsoftPass, 'dmarc=fail']), microsoft)).toMatchObject({
      authserv_id: null,
      trusted_header: true,
      spf: 'pass',
      dkim: 'pass',
      dmarc: 'pass',
    });
    expect(senderAuth(msg([withDomains]), microsoft)).toMatchObject({
      spf: 'fail',
      dkim: 'pass',
      dmarc: 'bestguesspass',
    });
  });

  test('authserv-ids compare case-insensitively; a version, quoted id and method version are allowed', () => {
    expect(
      parseAuthResults('"MX.Google.COM" 1; dkim/1 = pass (ok; really) header.d=x; spf=none'),
    ).toEqual({
      authservId: 'mx.google.com',
      results: [
        { method: 'dkim', result: 'pass' },
        { method: 'spf', result: 'none' },
      ],
    });
    expect(parseAuthResults('mx.google.com; none')).toEqual({
      authservId: 'mx.google.com',
      results: [],
    });
    // Any passing DKIM signature counts; a semicolon inside a comment or a quoted value splits nothing.
    const a = senderAuth(
      msg([
        'Mx.Google.Com; dkim=fail (bad; sig) header.d=a.example; dkim=pass header.d=client.example; spf=pass smtp.mailfrom="x;dmarc=fail"',
      ]),
      gmail,
    );
    expect(a).toMatchObject({ dkim: 'pass', spf: 'pass', dmarc: null });
  });

  test('junk is no result', () => {
    expect(parseAuthResults('')).toBeNull();
    expect(parseAuthResults('just some words')).toEqual({ authservId: 'just', results: [] });
    expect(parseAuthResults('(only a comment')).toBeNull();
    expect(parseAuthResults('mx.google.com; dmarc=<script>')?.results).toEqual([]);
  });
});

describe('display-name deception', () => {
  const from = (name: string, address = 'attacker@evil.example') => ({ name, address });
  test('a display name holding another address is flagged; the same address is not', () => {
    expect(deceptionFlags(from('ceo@corp.example'))).toEqual(['display_name_address']);
    expect(deceptionFlags(from('CEO (ceo＠corp.example)'))).toEqual(['display_name_address']);
    expect(deceptionFlags(from('Attacker@Evil.example'))).toEqual([]);
    expect(deceptionFlags(from('Jane Doe', 'jane@client.example'))).toEqual([]);
  });

  test('a quoted local part that reads as an address is flagged (GHSA-mm7p-fcc7-pg87)', () => {
    expect(deceptionFlags(from('', '"victim@corp.example x"@evil.example'))).toEqual([
      'local_part_address',
    ]);
  });

  test('bidi controls (U+202E and friends) are flagged', () => {
    expect(deceptionFlags(from('\u202Emoc.elpmaxe-proc@oec'))).toContain('bidi_control');
    expect(deceptionFlags(from('Bob \u2067Smith\u2069'))).toEqual(['bidi_control']);
    expect(
      deceptionFlags(from('\u05d3\u05e0\u05d4 \u05db\u05d4\u05df\u200f', 'dana@client.example')),
    ).toEqual([]);
  });

  test('a word mixing Latin with Cyrillic or Greek look-alikes is flagged; a name in one script is not', () => {
    expect(deceptionFlags(from('P\u0430ypal Support'))).toEqual(['mixed_script']);
    expect(deceptionFlags(from('Ann', 'ann@cl\u0456ent.example'))).toEqual(['mixed_script']);
    expect(deceptionFlags(from('Вера Иванова', 'vera@client.example'))).toEqual([]);
    // A word spelt only with look-alikes, beside Latin words: "Рау Smith" reads "Pay Smith".
    expect(deceptionFlags(from('\u0420\u0430\u0443 Smith'))).toEqual(['mixed_script']);
    expect(deceptionFlags(from('Петр Smith', 'petr@client.example'))).toEqual([]);
    expect(deceptionFlags(from('Γιώργος Π.', 'g@client.example'))).toEqual([]);
  });
});

describe('hostile sizes', () => {
  test('a megabyte of display name or Authentication-Results is read in linear time', () => {
    const big = 'a'.repeat(1 << 20);
    const started = performance.now();
    expect(deceptionFlags({ name: `${big}@`, address: 'x@evil.example' })).toEqual([]);
    expect(deceptionFlags({ name: `${big}@${big}.`, address: 'x@evil.example' })).toEqual([]);
    expect(parseAuthResults(`mx.google.com; ${'dkim=pass ('.repeat(50_000)}`)?.results).toEqual([
      { method: 'dkim', result: 'pass' },
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
