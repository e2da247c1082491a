// Bytes mailparser would misread, rewritten before it sees them (the scan in mime-scan.ts says where):
// 8-bit and mislabelled header bytes, UTF-7 and enriched parts, named text parts and inline messages
// made attachments, plain pieces among HTML ones, versions of an alternative left out.
import { enrichedBody, enrichedHeader } from './enriched.js';
import { fixMislabelledWords, fixRawWords } from './header-charset-words.js';
import { base64WithFooter } from './mime-base64-footer.js';
import { type HeaderRepair, repairHeaderBlock } from './mime-repair.js';
import type { MimeScan } from './normalise-types.js';
import { bytesToText } from './normalise-values.js';
import {
  asAttachment,
  PIECE_BOUNDARY,
  pieceAsAlternative,
  plainBodyAsHtml,
  plainHeaderAsHtml,
  utf7Body,
  utf7Header,
  withCharset,
} from './parse-rewrites.js';

/**
 * Raw 8-bit header bytes that are not UTF-8 (old clients writing Latin-1, GBK, Shift_JIS without
 * RFC 2047) are re-encoded to UTF-8, decoded with the part's charset, the message's declared
 * charsets or the likeliest other one — libraries would otherwise read them as UTF-8 and produce
 * U+FFFD. Encoded words whose bytes contradict their label, hold raw 8-bit bytes or are UTF-7 are
 * rewritten as UTF-8 words. UTF-7 text parts are decoded and handed on as UTF-8 (base64). Headers
 * and bodies inside an attached message are left alone: the attachment keeps the bytes it was sent with.
 */
export function transcodeHeaders(raw: Buffer, scan: MimeScan, utf8Words = false): Buffer {
  // Header blocks to rewrite, by offset: 8-bit or mislabelled bytes, a UTF-7 part, a named text part.
  const blocks = new Map<
    number,
    {
      end: number;
      charset: string | null;
      bytes: boolean;
      utf7?: MimeScan['utf7Bodies'][number];
      attach: boolean;
      messageType?: boolean;
      asHtml?: NonNullable<MimeScan['plainAsHtml']>[number];
      relabel?: string;
      repair?: HeaderRepair;
      enriched?: NonNullable<MimeScan['enrichedBodies']>[number];
    }
  >();
  const entry = (start: number, end: number) =>
    blocks.get(start) ??
    blocks.set(start, { end, charset: null, bytes: false, attach: false }).get(start)!;
  for (const b of scan.rawHeaderBlocks)
    if (!b.attached) Object.assign(entry(b.start, b.end), { charset: b.charset, bytes: true });
  for (const u of scan.utf7Bodies) entry(u.start, u.end).utf7 = u;
  for (const n of scan.namedTextParts) entry(n.start, n.end).attach = true;
  for (const m of scan.inlineMessages)
    Object.assign(entry(m.start, m.end), { attach: true, messageType: m.addType });
  for (const p of scan.plainAsHtml ?? []) entry(p.start, p.end).asHtml = p;
  for (const u of scan.unlabelledText ?? []) entry(u.start, u.end).relabel = u.charset;
  for (const r of scan.headerRepairs ?? []) entry(r.start, r.end).repair = r;
  for (const e of scan.enrichedBodies ?? []) entry(e.start, e.end).enriched = e;
  const dropped = [
    ...(scan.droppedAlternatives ?? []),
    ...(scan.strayAfterBoundary ?? []),
    ...(scan.emptyBodyBreaks ?? []),
  ];
  const insertions = scan.insertions ?? [];
  const footers = scan.base64Footers ?? [];
  const renames = scan.boundaryRenames ?? [];
  if (
    blocks.size === 0 &&
    dropped.length === 0 &&
    insertions.length === 0 &&
    footers.length === 0 &&
    renames.length === 0
  )
    return raw;
  const edits: { start: number; end: number; bytes: Buffer }[] = [
    ...dropped.map((d) => ({ ...d, bytes: Buffer.alloc(0) })),
    ...renames.map((r) => ({ start: r.start, end: r.end, bytes: Buffer.from(r.text, 'latin1') })),
  ];
  const used = new Set<number>();
  for (const [start, b] of blocks) {
    let text = raw.toString('latin1', start, b.end);
    // Folds inside a block being rewritten go in first (offsets from the end, so each stays right).
    for (const i of insertions.filter((x) => x.at > start && x.at < b.end).reverse()) {
      text = text.slice(0, i.at - start) + i.text + text.slice(i.at - start);
      used.add(i.at);
    }
    if (b.bytes) {
      const candidates = [...(b.charset ? [b.charset] : []), ...scan.declaredCharsets];
      text = fixMislabelledWords(
        bytesToText(fixRawWords(text), candidates).text,
        candidates,
        utf8Words && start === 0,
      );
    }
    if (b.repair) text = repairHeaderBlock(text, b.repair);
    if (b.relabel) text = withCharset(text, b.relabel);
    if (b.utf7) text = utf7Header(text);
    if (b.enriched) text = enrichedHeader(text);
    if (b.messageType) text = `Content-Type: message/rfc822\r\n${text}`;
    if (b.attach) text = asAttachment(text);
    edits.push({ start, end: b.end, bytes: Buffer.from(text, b.bytes ? 'utf8' : 'latin1') });
    if (b.asHtml?.keepText) {
      const block = edits.at(-1)!;
      block.bytes = Buffer.from(
        `Content-Type: multipart/alternative; boundary="${PIECE_BOUNDARY}${start}"${block.bytes.includes('\r\n') ? '\r\n' : '\n'}`,
        'latin1',
      );
      edits.push({
        start: b.asHtml.bodyStart,
        end: b.asHtml.bodyEnd,
        bytes: pieceAsAlternative(
          Buffer.from(text, b.bytes ? 'utf8' : 'latin1'),
          raw.subarray(b.asHtml.bodyStart, b.asHtml.bodyEnd),
          b.asHtml.cte,
          `${PIECE_BOUNDARY}${start}`,
        ),
      });
    } else if (b.asHtml) {
      edits.at(-1)!.bytes = Buffer.from(
        plainHeaderAsHtml(edits.at(-1)!.bytes.toString('latin1')),
        'latin1',
      );
      edits.push({
        start: b.asHtml.bodyStart,
        end: b.asHtml.bodyEnd,
        bytes: Buffer.from(
          plainBodyAsHtml(raw.subarray(b.asHtml.bodyStart, b.asHtml.bodyEnd), b.asHtml.cte),
          'latin1',
        ),
      });
    }
    if (b.enriched)
      edits.push({
        start: b.enriched.bodyStart,
        end: b.enriched.bodyEnd,
        bytes: Buffer.from(
          enrichedBody(
            raw.subarray(b.enriched.bodyStart, b.enriched.bodyEnd),
            b.enriched.cte,
            b.enriched.richtext,
          ),
          'latin1',
        ),
      });
    if (b.utf7)
      edits.push({
        start: b.utf7.bodyStart,
        end: b.utf7.bodyEnd,
        bytes: Buffer.from(
          utf7Body(raw.subarray(b.utf7.bodyStart, b.utf7.bodyEnd), b.utf7.cte),
          'latin1',
        ),
      });
  }
  // Pushed after the other body rewrites: one of those on the same body wins (the sort is stable
  // and an edit starting inside one already made is skipped).
  for (const f of footers)
    edits.push({
      start: f.bodyStart,
      end: f.bodyEnd,
      bytes: base64WithFooter(
        raw.subarray(f.bodyStart, f.footerStart),
        raw.subarray(f.footerStart, f.bodyEnd),
      ),
    });
  // After the block rewrites, so an insertion at a block's end follows it (the sort is stable).
  for (const { at, text } of insertions)
    if (!used.has(at)) edits.push({ start: at, end: at, bytes: Buffer.from(text, 'latin1') });
  edits.sort((a, b) => a.start - b.start);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const e of edits) {
    // An edit inside a version left out goes with it.
    if (e.start < at) continue;
    chunks.push(raw.subarray(at, e.start), e.bytes);
    at = e.end;
  }
  chunks.push(raw.subarray(at));
  return Buffer.concat(chunks);
}
