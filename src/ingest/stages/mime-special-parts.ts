// Parts a mail client does not list as files (issue #16, attachments): the header half of an
// AppleDouble pair, the PGP/MIME version part of multipart/encrypted, and message/external-body,
// which holds only a pointer to a file elsewhere. The parser lists them all as attachments.
// An encrypted body (PGP/MIME or S/MIME) is flagged here too.
import type { AdapterAttachment, AdapterOutput } from './normalise-types.js';
import { isSmimeEncrypted } from './smime.js';

// RFC 1740: an AppleDouble header (the resource fork and Finder info) starts with this magic
// number; the data fork beside it is the file the sender attached.
const APPLE_DOUBLE_MAGIC = Buffer.from([0x00, 0x05, 0x16, 0x07]);

const isAppleDoubleHeader = (a: AdapterAttachment): boolean =>
  a.contentType === 'application/applefile' && a.content.subarray(0, 4).equals(APPLE_DOUBLE_MAGIC);

// RFC 3156 4: the control part of PGP/MIME encryption says only "Version: 1".
const isPgpVersionPart = (a: AdapterAttachment): boolean =>
  a.contentType === 'application/pgp-encrypted' &&
  /^\s*version\s*:\s*1\s*$/i.test(a.content.toString('latin1'));

/** Where an external body lives, in the words of RFC 2046 5.2.3 (URL per RFC 2017). */
function externalLocation(p: Record<string, string>): string {
  const access = (p['access-type'] ?? '').toLowerCase();
  const url = p['url']?.replace(/\s+/g, '');
  if (access === 'url' && url) return url;
  const name = p['name'] ?? '';
  if (['ftp', 'anon-ftp', 'tftp'].includes(access) && p['site'])
    return `${access === 'tftp' ? 'tftp' : 'ftp'}://${p['site']}/${p['directory'] ? `${p['directory'].replace(/^\/+|\/+$/g, '')}/` : ''}${name}`;
  if (access === 'mail-server' && p['server'])
    return `mail to ${p['server']}${p['subject'] ? ` (subject "${p['subject']}")` : ''}`;
  return [name, p['site'], access].filter((v) => v).join(', ') || 'an unnamed location';
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * The output with those parts taken out of the attachments: an external body becomes a note at
 * the end of the body (the agent sees where the file is; there are no bytes to store), and an
 * encrypted message is flagged, since its only text is the encrypted payload.
 */
export function withoutSpecialParts(out: AdapterOutput): {
  out: AdapterOutput;
  warnings: string[];
} {
  const warnings: string[] = [];
  const notes: string[] = [];
  const attachments: AdapterAttachment[] = [];
  for (const a of out.attachments) {
    if (isAppleDoubleHeader(a)) continue;
    if (isPgpVersionPart(a)) {
      warnings.push('body_encrypted');
      continue;
    }
    // The S/MIME payload stays listed (it is the message, as sent); only the flag is added.
    if (isSmimeEncrypted(a) && !warnings.includes('body_encrypted'))
      warnings.push('body_encrypted');
    if (a.contentType === 'message/external-body') {
      notes.push(
        `[File not included in the message, stored at: ${externalLocation(a.typeParams ?? {})}]`,
      );
      continue;
    }
    attachments.push(a);
  }
  let { text, html } = out;
  if (notes.length > 0) {
    const note = notes.join('\n');
    if (text !== null || html === null)
      text = `${text === null ? '' : `${text.replace(/\s*$/, '')}\n\n`}${note}`;
    if (html !== null) html = `${html}<p>${notes.map(escapeHtml).join('<br>')}</p>`;
  }
  return { out: { ...out, text, html, attachments }, warnings };
}
