// Attachment metadata: a display-safe filename, the type the bytes really have, and warning flags.
// The filename is attacker data and only ever display metadata (storage uses opaque ids); the
// declared Content-Type is never trusted, the magic bytes decide (docs/security-controls.md#attachment-types).
import { createHash } from 'node:crypto';

import type { ParsedAttachment } from '../types.js';

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
  // ':' stays: it is common in subjects-turned-names and harmless in an RFC 6266 filename*.
  name = name
    .replace(/[<>"|?*]/g, '_')
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

const startsWith = (buf: Buffer, bytes: number[], offset = 0): boolean =>
  buf.length >= offset + bytes.length && bytes.every((b, i) => buf[offset + i] === b);

/** Recognise the content type from magic bytes. Unknown binary → application/octet-stream. */
export function sniffContentType(content: Buffer): string {
  if (startsWith(content, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  if (startsWith(content, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(content, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(content, [0x47, 0x49, 0x46, 0x38]) && (content[4] === 0x37 || content[4] === 0x39))
    return 'image/gif';
  if (
    startsWith(content, [0x52, 0x49, 0x46, 0x46]) &&
    content.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  if (
    startsWith(content, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(content, [0x4d, 0x4d, 0x00, 0x2a])
  )
    return 'image/tiff';
  if (
    startsWith(content, [0x50, 0x4b, 0x03, 0x04]) ||
    startsWith(content, [0x50, 0x4b, 0x05, 0x06])
  )
    return sniffZip(content);
  if (startsWith(content, [0x1f, 0x8b])) return 'application/gzip';
  if (startsWith(content, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07])) return 'application/vnd.rar';
  if (startsWith(content, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))
    return 'application/x-7z-compressed';
  if (startsWith(content, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))
    return 'application/x-ole-storage';
  if (startsWith(content, [0x4d, 0x5a])) return 'application/x-msdownload';
  if (startsWith(content, [0x7f, 0x45, 0x4c, 0x46])) return 'application/x-executable';
  return sniffText(content);
}

function sniffZip(content: Buffer): string {
  // Local file names sit in plain text near the start; an OOXML package names its parts there.
  const head = content.subarray(0, 64 * 1024).toString('latin1');
  if (head.includes('[Content_Types].xml') || /\b(word|xl|ppt)\//.test(head)) {
    if (head.includes('word/'))
      return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    if (head.includes('xl/'))
      return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    if (head.includes('ppt/'))
      return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
  }
  if (head.startsWith('mimetype', 30))
    return head.slice(38, 38 + 80).match(/^[\w.+/-]+/)?.[0] ?? 'application/zip';
  if (head.includes('META-INF/MANIFEST.MF')) return 'application/java-archive';
  return 'application/zip';
}

function sniffText(content: Buffer): string {
  const head = content.subarray(0, 4096);
  if (head.includes(0)) return 'application/octet-stream';
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (text.startsWith('<?xml')) return /<svg[\s>]/.test(text) ? 'image/svg+xml' : 'application/xml';
  if (text.startsWith('<svg')) return 'image/svg+xml';
  if (/^<(!doctype html|html|head|body|script|iframe|meta|div|p|table|a)[\s>]/.test(text))
    return 'text/html';
  if (text.startsWith('#!')) return 'text/x-shellscript';
  return 'text/plain';
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
