// Attachment metadata: a display-safe filename, the type the bytes really have, and warning flags.
// The filename is attacker data and only ever display metadata (storage uses opaque ids); the
// declared Content-Type is never trusted, the magic bytes decide (docs/security-controls.md#attachment-types).
import { createHash } from 'node:crypto';

import type { ParsedAttachment } from '../types.js';
import { sniffContentType } from './attachments-sniff.js';

const MAX_FILENAME_BYTES = 255;
// Bidi overrides/embeddings/isolates and marks: U+202E turns "invoice\u202Efdp.exe" into "invoiceexe.pdf" on screen.
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const HAS_BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
// C0/C1 controls, zero-width characters and BOM: invisible, can hide the real extension.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u200B-\u200D\u2060\uFEFF]/g;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

export interface SanitisedFilename {
  name: string;
  flags: string[];
}

/** Turn a sender-supplied filename into something safe to show and to put in Content-Disposition. */
export function sanitizeFilename(input: string | null | undefined): SanitisedFilename {
  const flags: string[] = [];
  let name = (input ?? '').normalize('NFC');
  if (HAS_BIDI.test(name)) flags.push('filename_rtlo');
  name = name.replace(BIDI_CONTROLS, '').replace(INVISIBLE, '');
  if (/[/\\]/.test(name)) {
    flags.push('filename_path');
    const segments = name.split(/[/\\]+/).filter((s) => s !== '' && s !== '.' && s !== '..');
    name = segments.at(-1) ?? '';
  }
  // Markup characters stay out of a name a page might show unescaped. '?', '*', '|' and ':' stay:
  // they are in names people give files ("Was ist das?.pdf", subjects turned names), harmless in
  // RFC 6266 filename*, and the download header's plain fallback replaces them
  // (src/lib/content-disposition.ts); a browser makes the saved name fit its file system.
  name = name
    .replace(/[<>"]/g, '_')
    .trim()
    .replace(/[. ]+$/, '');
  if (/^\.+$/.test(name)) name = '';
  const stem = name.split('.')[0] ?? '';
  if (WINDOWS_RESERVED.test(stem.trim())) {
    flags.push('filename_reserved');
    name = `_${name}`;
  }
  name = capUtf8Bytes(name, MAX_FILENAME_BYTES);
  if (name === '') name = 'attachment';
  if (input != null && name !== input) flags.push('filename_changed');
  return { name, flags };
}

/** Cut to at most `max` UTF-8 bytes on a code point boundary, keeping a short extension. */
function capUtf8Bytes(name: string, max: number): string {
  if (Buffer.byteLength(name, 'utf8') <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const budget = max - Buffer.byteLength(ext, 'utf8');
  let out = '';
  let used = 0;
  for (const ch of name.slice(0, name.length - ext.length)) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  return out + ext;
}

// Extensions Windows/macOS/Linux run or interpret on a double-click, plus macro-enabled Office files.
const DANGEROUS_EXT = new Set([
  'exe',
  'scr',
  'com',
  'pif',
  'bat',
  'cmd',
  'vbs',
  'vbe',
  'js',
  'jse',
  'mjs',
  'wsf',
  'wsh',
  'hta',
  'msi',
  'msp',
  'cpl',
  'jar',
  'ps1',
  'psm1',
  'reg',
  'lnk',
  'dll',
  'iso',
  'img',
  'vhd',
  'vhdx',
  'apk',
  'app',
  'dmg',
  'sh',
  'docm',
  'dotm',
  'xlsm',
  'xltm',
  'pptm',
  'potm',
  'ppsm',
  'sldm',
  'xll',
  'appx',
  'msix',
  'chm',
  'url',
  'scf',
]);
const EXECUTABLE_SNIFF = new Set([
  'application/x-msdownload',
  'application/x-executable',
  'text/x-shellscript',
]);
const ACTIVE_TYPES = new Set([
  'text/html',
  'image/svg+xml',
  'application/xml',
  'application/xhtml+xml',
  'text/xml',
]);
const SCRIPT_MARKERS =
  /<script\b|\bon[a-z]+\s*=|javascript:|<iframe\b|<object\b|<embed\b|<foreignobject\b|xlink:href\s*=\s*["']?\s*data:/i;
// Types whose sniffed family must agree with the declared one (text-ish sniffs are heuristics, skipped).
const BINARY_SNIFFS = new Set([
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/tiff',
  'application/gzip',
  'application/vnd.rar',
  'application/x-7z-compressed',
  'application/x-msdownload',
  'application/x-executable',
]);

function extensionsOf(name: string): string[] {
  return name
    .toLowerCase()
    .split('.')
    .slice(1)
    .map((e) => e.trim());
}

/** Warning flags for an attachment, from its (original) name, declared type and sniffed type. */
export function attachmentFlags(
  filename: string,
  declaredType: string,
  sniffedType: string,
  content: Buffer,
): string[] {
  const flags = new Set<string>();
  const exts = extensionsOf(filename);
  const last = exts.at(-1) ?? '';
  if (DANGEROUS_EXT.has(last) || EXECUTABLE_SNIFF.has(sniffedType)) flags.add('dangerous_type');
  if (
    exts.length >= 2 &&
    DANGEROUS_EXT.has(last) &&
    !DANGEROUS_EXT.has(exts.at(-2) ?? '') &&
    (exts.at(-2) ?? '') !== ''
  ) {
    flags.add('double_extension');
  }
  const active =
    ACTIVE_TYPES.has(sniffedType) ||
    ACTIVE_TYPES.has(declaredType) ||
    ['html', 'htm', 'svg', 'xhtml', 'xml'].includes(last);
  if (active && SCRIPT_MARKERS.test(content.subarray(0, 1024 * 1024).toString('utf8'))) {
    flags.add('active_content');
    flags.add('dangerous_type');
  }
  if (BINARY_SNIFFS.has(sniffedType) && !typesCompatible(declaredType, sniffedType))
    flags.add('type_mismatch');
  return [...flags];
}

function typesCompatible(declared: string, sniffed: string): boolean {
  if (
    declared === sniffed ||
    declared === '' ||
    declared === 'application/octet-stream' ||
    declared === 'binary/octet-stream'
  )
    return true;
  if (sniffed === 'image/jpeg') return ['image/jpg', 'image/pjpeg'].includes(declared);
  if (sniffed === 'application/gzip')
    return ['application/x-gzip', 'application/x-tar', 'application/x-gtar'].includes(declared);
  if (sniffed === 'application/x-msdownload')
    return /ms-?dos|exe|msdownload|portable-executable/.test(declared);
  if (sniffed === 'application/pdf') return declared === 'application/x-pdf';
  if (sniffed === 'application/vnd.rar')
    return declared === 'application/x-rar-compressed' || declared === 'application/x-rar';
  return false;
}

export interface AttachmentInput {
  filename: string | null;
  declaredType: string;
  contentId: string | null;
  inline: boolean;
  content: Buffer;
}

/** Build the ParsedAttachment record: sanitised name, sniffed type, hashes and flags. */
export function describeAttachment(input: AttachmentInput): ParsedAttachment {
  const { name, flags: nameFlags } = sanitizeFilename(input.filename);
  const declaredType = (input.declaredType || 'application/octet-stream')
    .toLowerCase()
    .split(';')[0]!
    .trim();
  const sniffedType = sniffContentType(input.content);
  // Flags look at the name as sent (minus invisible characters) so "a.pdf\u202E.exe" still reads as .exe.
  const visibleName = (input.filename ?? '').replace(BIDI_CONTROLS, '').replace(INVISIBLE, '');
  const flags = [
    ...nameFlags.filter((f) => f !== 'filename_changed'),
    ...attachmentFlags(visibleName || name, declaredType, sniffedType, input.content),
  ];
  if (nameFlags.includes('filename_changed') && input.filename) flags.push('filename_changed');
  return {
    filename: name,
    declaredType,
    sniffedType,
    size: input.content.length,
    sha256: createHash('sha256').update(input.content).digest('hex'),
    contentId: input.contentId ? input.contentId.trim().replace(/^<|>$/g, '') || null : null,
    inline: input.inline,
    content: input.content,
    flags,
  };
}
