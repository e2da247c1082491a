// The EICAR anti-virus test file, assembled at run time so the repository never holds it (a
// checkout would otherwise be flagged by scanners on developer machines and CI runners). Stored as
// base64 of each half reversed; the checksum guards against an edit that breaks the pieces.

import { createHash } from 'node:crypto';

const HALVES = [
  'LVJBQ0lFJH03KUNDNyleUCg0NVhaUFw0W1BBQCVQIU81WA==',
  'KkgrSCQhRUxJRi1UU0VULVNVUklWSVROQS1EUkFETkFUUw==',
];
const EXPECTED_MD5 = '44d88612fea8a8f36de82e1278abb02f';

export function eicarBytes(): Buffer {
  const bytes = Buffer.concat(HALVES.map((h) => Buffer.from(h, 'base64').reverse()));
  if (createHash('md5').update(bytes).digest('hex') !== EXPECTED_MD5) {
    throw new Error('eicarBytes(): assembled bytes do not match the EICAR checksum');
  }
  return bytes;
}
