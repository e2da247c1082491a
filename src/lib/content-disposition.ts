// Download headers that cannot be turned against the browser: always `attachment`, an ASCII
// fallback name plus the RFC 5987 UTF-8 name, and only inert content types under their own name.

// An allow-list: a type a browser might render actively (HTML, SVG, XML, scripts, PDFs with their
// viewer, anything new) is served as opaque bytes. These are displayed passively or not at all.
const inert = new Set([
  'text/plain',
  'text/csv',
  'text/calendar',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/tiff',
  'image/heic',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'video/mp4',
  'video/webm',
  'video/quicktime',
  'application/zip',
  'application/gzip',
  'application/x-7z-compressed',
  'application/x-rar-compressed',
  'application/x-tar',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/rtf',
  'message/rfc822',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/octet-stream',
]);

export function safeDownloadType(sniffed: string): string {
  const type = sniffed.trim().toLowerCase();
  return inert.has(type) ? type : 'application/octet-stream';
}

export function contentDisposition(filename: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const clean = filename.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255) || 'attachment';
  // The plain fallback, for a client that reads no filename*, is a name every file system takes:
  // ASCII, and none of the characters Windows refuses (a stored name may keep '?' or '*').
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["\\/:*?<>|]/g, '_');
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
