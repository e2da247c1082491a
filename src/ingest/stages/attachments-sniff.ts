// The type an attachment really has, from its magic bytes: the declared Content-Type is attacker
// data and never trusted (docs/security-controls.md#attachment-types).

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
