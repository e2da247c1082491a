// Download headers that cannot be turned against the browser: always `attachment`, an ASCII
// fallback name plus the RFC 5987 UTF-8 name, and active content types served as opaque bytes.

const active = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/javascript|application\/javascript)$/i;

export function safeDownloadType(sniffed: string): string {
  return active.test(sniffed) || !/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i.test(sniffed) ? 'application/octet-stream' : sniffed;
}

export function contentDisposition(filename: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const clean = filename.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255) || 'attachment';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
