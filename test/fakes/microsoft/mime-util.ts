// Just enough RFC 5322 header reading for the fake: Message-ID and Subject of stored MIME, and a
// conversation id per thread root the way Exchange groups replies.
import { createHash } from 'node:crypto';

export function headerOf(mime: Buffer, name: string): string | null {
  const text = mime.subarray(0, Math.min(mime.length, 64 * 1024)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim() ?? null;
}

/** Every header of the stored MIME, unfolded, as Graph lists `internetMessageHeaders`. */
export function headersOf(mime: Buffer): { name: string; value: string }[] {
  const text = mime.subarray(0, Math.min(mime.length, 256 * 1024)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  return head.split(/\r?\n/).flatMap((line) => {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    return m ? [{ name: m[1]!, value: m[2]!.trim() }] : [];
  });
}

export function messageIdOf(mime: Buffer): string | null {
  return /<[^<>\s]+>/.exec(headerOf(mime, 'Message-ID') ?? '')?.[0] ?? null;
}

/** Thread root: first References id, else In-Reply-To, else the message's own id. */
export function conversationOf(mime: Buffer, known: Map<string, string>): string {
  const refs = (headerOf(mime, 'References') ?? '').match(/<[^<>\s]+>/g) ?? [];
  const parent = /<[^<>\s]+>/.exec(headerOf(mime, 'In-Reply-To') ?? '')?.[0];
  for (const id of [...refs, ...(parent ? [parent] : [])]) {
    const c = known.get(id);
    if (c) return c;
  }
  const root = refs[0] ?? parent ?? messageIdOf(mime) ?? String(Math.random());
  return `AAQk${createHash('sha256').update(root).digest('base64url').slice(0, 40)}=`;
}

export function strictBase64(text: string): Buffer | null {
  const compact = text.replace(/\r?\n/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact))
    return null;
  return Buffer.from(compact, 'base64');
}
