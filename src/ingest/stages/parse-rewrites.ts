// The header-block and body rewrites transcodeHeaders (parse-transcode.ts) applies to a part before
// mailparser reads it: a charset set, a plain piece shown as HTML too, a part made an attachment, a
// UTF-7 part turned into UTF-8.
import { decodeTransfer } from './mime-charsets.js';
import { decodeUtf7 } from './utf7.js';

/** A text part's header block with its charset set (a Content-Type added when it has none). */
export function withCharset(block: string, charset: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const ct = /^content-type[ \t]*:.*(?:\r?\n[ \t].*)*/im.exec(block);
  if (!ct)
    return `${block.replace(/(?:\r?\n)*$/, '')}${eol}Content-Type: text/plain; charset="${charset}"${eol}`;
  const field = /;\s*charset\s*=/i.test(ct[0])
    ? ct[0].replace(/(;\s*charset\s*=\s*)("[^"]*"|[^;\s]*)/i, `$1"${charset}"`)
    : `${ct[0]}; charset="${charset}"`;
  return block.slice(0, ct.index) + field + block.slice(ct.index + ct[0].length);
}

/** A text/plain piece's header block relabelled text/html (charset kept) in base64. */
export function plainHeaderAsHtml(block: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(block)?.[1];
  const kept = block.replace(
    /^content-(?:transfer-encoding|type)[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n)?/gim,
    '',
  );
  return `${kept.replace(/(?:\r?\n)*$/, '')}${kept.trim() === '' ? '' : eol}Content-Type: text/html${charset ? `; charset="${charset}"` : ''}${eol}Content-Transfer-Encoding: base64${eol}`;
}

// Boundary of the alternative a plain piece is wrapped in (its header offset makes it unique in the message).
export const PIECE_BOUNDARY = '=_inlet-piece-';

/**
 * A plain piece as a multipart/alternative body: the piece itself (its header block, bytes as sent)
 * and its HTML rendering, so mailparser adds it to the text and to the HTML body, each in place.
 */
export function pieceAsAlternative(
  block: Buffer,
  body: Buffer,
  cte: string,
  boundary: string,
): Buffer {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const ends = body.length === 0 || body[body.length - 1] === 0x0a;
  return Buffer.concat([
    Buffer.from(`--${boundary}${eol}`, 'latin1'),
    block,
    Buffer.from(eol, 'latin1'),
    body,
    Buffer.from(
      `${ends ? '' : eol}--${boundary}${eol}${plainHeaderAsHtml(block.toString('latin1')).replace(/^(?:.*\r?\n)*?(?=Content-Type: text\/html)/, '')}${eol}${plainBodyAsHtml(body, cte)}--${boundary}--${eol}`,
      'latin1',
    ),
  ]);
}

/** The piece's text as HTML: its bytes (any charset) with markup characters escaped, lines kept. */
export function plainBodyAsHtml(body: Buffer, cte: string): string {
  const escaped = decodeTransfer(body, cte)
    .replace(/\r?\n$/, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r?\n/g, '<br>\r\n');
  return Buffer.from(`<div>${escaped}</div>`, 'latin1')
    .toString('base64')
    .replace(/.{1,76}/g, '$&\r\n');
}

/** A header block with its disposition set to attachment (the filename parameters kept). */
export function asAttachment(block: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  if (/^content-disposition[ \t]*:/im.test(block))
    return block.replace(
      /^(content-disposition[ \t]*:[ \t]*)(?:inline\b)?[ \t]*;?/im,
      '$1attachment;',
    );
  const name = /;\s*name\s*=\s*("[^"]*"|[^;\s]*)/i.exec(block)?.[1];
  return `${block.replace(/(?:\r?\n)*$/, '')}${eol}Content-Disposition: attachment${name ? `; filename=${name}` : ''}${eol}`;
}

/** A UTF-7 part's header block, relabelled UTF-8 in base64 (its body is rewritten to match). */
export function utf7Header(block: string): string {
  const eol = block.includes('\r\n') ? '\r\n' : '\n';
  const kept = block
    .replace(/^content-transfer-encoding[ \t]*:.*(?:\r?\n[ \t].*)*(?:\r?\n)?/gim, '')
    .replace(/(charset\s*=\s*"?)(?:unicode-1-1-)?utf-?7("?)/i, '$1utf-8$2');
  return `${kept.replace(/(?:\r?\n)*$/, '')}${eol}Content-Transfer-Encoding: base64${eol}`;
}

export function utf7Body(body: Buffer, cte: string): string {
  const b64 = Buffer.from(decodeUtf7(decodeTransfer(body, cte)), 'utf8').toString('base64');
  return `${b64.replace(/.{1,76}/g, '$&\r\n')}`;
}
