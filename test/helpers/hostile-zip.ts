// Hostile archives built at test time (security.md items 21 and 25), so the repository holds no
// bombs and no encrypted blobs: a ZipCrypto-encrypted entry, zips nested past clamd's MaxRecursion
// (the 42.zip class), one entry that inflates far past MaxFileSize, and David Fifield's
// overlapping-entry bomb (every central-directory entry points at the same compressed kernel,
// CVE-2019-12625). The writer is deliberately separate from src/lib/zip.ts: it must emit what that
// one never would (encryption flags, shared local headers).
import { crc32, deflateRawSync } from 'node:zlib';

interface Entry {
  name: string;
  data: Buffer;
  password?: string;
}

interface Written {
  local: Buffer;
  name: Buffer;
  crc: number;
  method: number;
  flags: number;
  packed: number;
  size: number;
}

function localEntry(e: Entry): Written {
  const name = Buffer.from(e.name, 'utf8');
  const crc = crc32(e.data);
  let body: Buffer = deflateRawSync(e.data);
  let flags = 0x0800;
  if (e.password !== undefined) {
    body = zipCryptoEncrypt(body, e.password, crc);
    flags |= 1;
  }
  const head = Buffer.alloc(30);
  head.writeUInt32LE(0x04034b50, 0);
  head.writeUInt16LE(20, 4);
  head.writeUInt16LE(flags, 6);
  head.writeUInt16LE(8, 8);
  head.writeUInt32LE(crc, 14);
  head.writeUInt32LE(body.length, 18);
  head.writeUInt32LE(e.data.length, 22);
  head.writeUInt16LE(name.length, 26);
  return {
    local: Buffer.concat([head, name, body]),
    name,
    crc,
    method: 8,
    flags,
    packed: body.length,
    size: e.data.length,
  };
}

function centralEntry(w: Written, name: Buffer, offset: number): Buffer {
  const dir = Buffer.alloc(46);
  dir.writeUInt32LE(0x02014b50, 0);
  dir.writeUInt16LE(20, 4);
  dir.writeUInt16LE(20, 6);
  dir.writeUInt16LE(w.flags, 8);
  dir.writeUInt16LE(w.method, 10);
  dir.writeUInt32LE(w.crc, 16);
  dir.writeUInt32LE(w.packed, 20);
  dir.writeUInt32LE(w.size, 24);
  dir.writeUInt16LE(name.length, 28);
  dir.writeUInt32LE(offset, 42);
  return Buffer.concat([dir, name]);
}

function endRecord(count: number, dirBytes: number, dirAt: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(dirBytes, 12);
  end.writeUInt32LE(dirAt, 16);
  return end;
}

function zipOf(entries: readonly Entry[]): Buffer {
  const locals: Buffer[] = [];
  const dirs: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const w = localEntry(e);
    dirs.push(centralEntry(w, w.name, offset));
    locals.push(w.local);
    offset += w.local.length;
  }
  const dir = Buffer.concat(dirs);
  return Buffer.concat([...locals, dir, endRecord(entries.length, dir.length, offset)]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

// PKWARE "traditional" encryption (APPNOTE 6.1): weak, but it is what mail clients still send
// when a user types a password, and clamd cannot look inside it.
function zipCryptoEncrypt(body: Buffer, password: string, crc: number): Buffer {
  const keys = [0x12345678, 0x23456789, 0x34567890];
  const crcByte = (c: number, b: number): number => (CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)) >>> 0;
  const update = (p: number): void => {
    keys[0] = crcByte(keys[0]!, p) >>> 0;
    keys[1] = (Math.imul((keys[1]! + (keys[0] & 0xff)) >>> 0, 134775813) + 1) >>> 0;
    keys[2] = crcByte(keys[2]!, keys[1] >>> 24) >>> 0;
  };
  const stream = (): number => {
    const t = (keys[2]! | 2) & 0xffff;
    return (Math.imul(t, t ^ 1) >>> 8) & 0xff;
  };
  for (const b of Buffer.from(password, 'utf8')) update(b);
  const header = Buffer.alloc(12, 0x5a);
  header[11] = crc >>> 24;
  const plain = Buffer.concat([header, body]);
  const out = Buffer.alloc(plain.length);
  for (let i = 0; i < plain.length; i++) {
    const p = plain[i]!;
    out[i] = p ^ stream();
    update(p);
  }
  return out;
}

/** A harmless text file the sender protected with `password` (typed into the mail body). */
export function encryptedZip(password = 'Summer2026'): Buffer {
  return zipOf([{ name: 'invoice.txt', data: Buffer.from('Invoice 4711: 120 EUR\n'), password }]);
}

/** A text file wrapped in `depth` zips, one inside the next (clamd's MaxRecursion is 17). */
export function nestedZip(depth = 24): Buffer {
  let inner = zipOf([{ name: 'readme.txt', data: Buffer.from('nothing to see\n') }]);
  for (let i = 0; i < depth; i++) inner = zipOf([{ name: `layer-${i}.zip`, data: inner }]);
  return inner;
}

/** One entry of `mib` MiB of zeros: ~1000:1, so a few tens of KB claim far past MaxFileSize. */
export function inflatingZip(mib = 64): Buffer {
  return zipOf([{ name: 'report.txt', data: Buffer.alloc(mib * 1024 * 1024) }]);
}

/**
 * Fifield's non-recursive bomb in its simplest form: `count` central-directory entries that all
 * point at the one local file, so the archive claims count × `kernelMib` MiB from one kernel.
 */
export function overlappingZip(count = 1000, kernelMib = 4): Buffer {
  const w = localEntry({ name: 'k', data: Buffer.alloc(kernelMib * 1024 * 1024, 0x61) });
  const dirs: Buffer[] = [];
  for (let i = 0; i < count; i++) dirs.push(centralEntry(w, Buffer.from(`f${i}`), 0));
  const dir = Buffer.concat(dirs);
  return Buffer.concat([w.local, dir, endRecord(count, dir.length, w.local.length)]);
}

/** A ustar archive whose member climbs out of any directory it is unpacked into (item 24). */
export function traversingTar(member = '../../../../srv/app/.env', data = 'SECRET=x\n'): Buffer {
  const body = Buffer.from(data);
  const head = Buffer.alloc(512);
  head.write(member, 0, 100, 'utf8');
  head.write('0000644\0', 100);
  head.write('0000000\0', 108);
  head.write('0000000\0', 116);
  head.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  head.write('00000000000\0', 136);
  head.fill(' ', 148, 156);
  head.write('0', 156);
  head.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of head) sum += b;
  head.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([head, body, pad, Buffer.alloc(1024)]);
}
