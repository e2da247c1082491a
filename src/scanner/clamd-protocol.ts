// The pure half of the clamd client: framing and reply parsing, kept apart from sockets so every
// reply clamd can give is unit-tested. Protocol: clamd(8) "INSTREAM" — with the `z` prefix the
// command and every reply end in NUL; data goes as <4-byte big-endian length><bytes> chunks and a
// zero-length chunk ends the stream.

import { isLimitSignature, type ScanResult } from './scanner.js';

export const INSTREAM_COMMAND = Buffer.from('zINSTREAM\0', 'latin1');
export const PING_COMMAND = Buffer.from('zPING\0', 'latin1');
/** Opens a clamd session: later commands on the connection are answered as `<id>: <reply>`. */
export const IDSESSION_COMMAND = Buffer.from('zIDSESSION\0', 'latin1');
export const END_COMMAND = Buffer.from('zEND\0', 'latin1');
export const STREAM_TERMINATOR = Buffer.alloc(4);
/** clamd's replies are one short line; anything longer is not clamd talking. */
export const MAX_REPLY_BYTES = 4096;

export function chunkHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(length, 0);
  return header;
}

/** Reply text safe to put in a `detail`: printable, bounded. clamd replies never echo content. */
function printable(text: string): string {
  const cleaned = text.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 200 ? `${cleaned.slice(0, 200)}…` : cleaned;
}

/**
 * Maps a complete INSTREAM reply to a verdict. Clean only for exactly one `stream: OK` message:
 * several messages, an empty reply or any unknown text is an error, never clean.
 */
export function parseInstreamReply(raw: string): ScanResult {
  const messages = raw
    .split(/[\0\r\n]+/)
    .map((m) => m.trim())
    .filter((m) => m.length > 0);

  const signatures: string[] = [];
  for (const m of messages) {
    const found = /^stream: (\S(?:.*\S)?) FOUND$/.exec(m);
    if (found?.[1] !== undefined) signatures.push(found[1]);
  }
  // A real match outranks a limit flag: the bytes are known bad, whatever else clamd could not read.
  const malware = signatures.find((s) => !isLimitSignature(s));
  if (malware !== undefined) return { verdict: 'infected', signature: malware };
  const limit = signatures[0];
  if (limit !== undefined) {
    return {
      verdict: 'error',
      reason: 'size_limit',
      detail: `clamd could not scan it all: ${printable(limit)}`,
    };
  }

  if (messages.length === 1 && messages[0] === 'stream: OK') return { verdict: 'clean' };

  const text = messages.join(' | ');
  if (messages.length === 0)
    return { verdict: 'error', reason: 'scanner_error', detail: 'clamd sent an empty reply' };
  if (/size limit exceeded/i.test(text)) {
    return {
      verdict: 'error',
      reason: 'size_limit',
      detail: 'clamd: INSTREAM size limit exceeded (StreamMaxLength)',
    };
  }
  // clamd gave up waiting for our data (its CommandReadTimeout/ReadTimeout).
  if (/TIMED OUT/i.test(text))
    return { verdict: 'error', reason: 'timeout', detail: `clamd: ${printable(text)}` };
  if (/ERROR$/.test(text))
    return { verdict: 'error', reason: 'scanner_error', detail: `clamd: ${printable(text)}` };
  return {
    verdict: 'error',
    reason: 'scanner_error',
    detail: `unexpected clamd reply: ${printable(text)}`,
  };
}

/**
 * Maps the reply to request `id` of an IDSESSION (clamd numbers a session's commands from 1 and
 * prefixes each reply with `<id>: `). Every message in `raw` must carry that id: a reply that names
 * another request, or none, is an error — a verdict is only ever read from the answer to its own
 * request. The one id-less message clamd sends on a session is its idle cut-off (ReadTimeout),
 * which can cross a new request on the wire: that is a timeout, not a verdict about the bytes.
 */
export function parseSessionReply(raw: string, id: number): ScanResult {
  const prefix = `${id}: `;
  const messages = raw.split(/[\0\n]/).filter((m) => m.length > 0);
  const own: string[] = [];
  for (const m of messages) {
    if (m.startsWith(prefix)) {
      own.push(m.slice(prefix.length));
    } else if (/^COMMAND READ TIMED OUT$/.test(m.trim())) {
      return {
        verdict: 'error',
        reason: 'timeout',
        detail: 'clamd ended the session (its ReadTimeout)',
      };
    } else {
      return {
        verdict: 'error',
        reason: 'scanner_error',
        detail: `clamd session reply is not for request ${id}: ${printable(m)}`,
      };
    }
  }
  return parseInstreamReply(own.map((m) => `${m}\0`).join(''));
}
