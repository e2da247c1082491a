// What broken relays and attackers do to a message's bytes: truncate it, insert NULs, flip a
// byte, turn every line end into a bare LF or CR, repeat a chunk hundreds of times.
import fc from 'fast-check';

export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'nul'; at: number; count: number }
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'bare-lf' }
  | { kind: 'bare-cr' }
  | { kind: 'repeat'; at: number; length: number; times: number };

const position = fc.double({ min: 0, max: 1, noNaN: true });
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position.map((p) => p) }).map((m) => m),
  fc.record({
    kind: fc.constant('nul' as const),
    at: position,
    count: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: position,
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.constant({ kind: 'bare-lf' as const }),
  fc.constant({ kind: 'bare-cr' as const }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: position,
    length: fc.integer({ min: 1, max: 200 }),
    times: fc.integer({ min: 2, max: 500 }),
  }),
);

export function mutate(raw: Buffer, m: Mutation): Buffer {
  const at = 'at' in m ? Math.floor(m.at * raw.length) : 0;
  switch (m.kind) {
    case 'truncate':
      return raw.subarray(0, at);
    case 'nul':
      return Buffer.concat([raw.subarray(0, at), Buffer.alloc(m.count), raw.subarray(at)]);
    case 'flip': {
      const copy = Buffer.from(raw);
      if (at < copy.length) copy[at] = m.byte;
      return copy;
    }
    case 'bare-lf':
      return Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    case 'bare-cr':
      return Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\r'), 'latin1');
    case 'repeat': {
      const chunk = raw.subarray(at, at + m.length);
      return Buffer.concat([raw.subarray(0, at), ...Array(m.times).fill(chunk), raw.subarray(at)]);
    }
  }
}
