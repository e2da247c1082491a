// The structural pre-scan of raw RFC 5322 bytes, run before any MIME library sees them: it enforces
// the limits (size, parts, nesting depth, header bytes; mailparser has no part limit of its own, so
// a MIME bomb must be refused here), notes which charsets the message declares anywhere, keeps the
// delivery-status and original headers of a bounce, and finds header blocks with raw 8-bit or
// mislabelled bytes for parse.ts to repair. It reads a latin1 view of the bytes and copies out only
// the small values it keeps.
// The loop is here; boundary lines (mime-boundaries.ts), header blocks (mime-header-block.ts),
// charsets (mime-charsets.ts) and the versions of an alternative (mime-alternatives.ts) are not.
import type { IngestLimits } from '../types.js';
import { defaultIngestLimits } from '../types.js';
import { hasFoldInWord } from './header-charset-words.js';
import { AlternativeVersions } from './mime-alternatives.js';
import type { Boundary, TextView } from './mime-boundaries.js';
import { latin1View, nextBoundary, STRING_SCAN_MAX } from './mime-boundaries.js';
import {
  decodeCapture,
  encodedWordCharsets,
  inheritedCharset,
  needsCharsetRepair,
} from './mime-charsets.js';
import type { HeaderBlock } from './mime-header-block.js';
import { readHeaderBlock } from './mime-header-block.js';
import { htmlMetaCharset, opensWithMarkup } from './mime-html-charset.js';
import { limitError } from './mime-limits.js';
import { planRepair } from './mime-repair.js';
import type { MimeScan } from './normalise-types.js';
import { bytesToText, knownCharset } from './normalise-values.js';
import {
  fitsInheritedCharset,
  isUndecodableText,
  unlabelledCharset,
  utf8UnderNationalLabel,
} from './undecodable.js';
import { isUtf7Label } from './utf7.js';

const MAX_CAPTURE = 64 * 1024;
// Raw bytes read to decide whether a text part is text (base64 of 64 KiB and some slack).
const UNDECODABLE_SAMPLE = 96 * 1024;

/** Walk the MIME structure without decoding: count parts and depth, capture DSN parts. */
export function scanMime(raw: Buffer, limits: IngestLimits = defaultIngestLimits): MimeScan {
  const s: TextView = raw.length <= STRING_SCAN_MAX ? raw.toString('latin1') : latin1View(raw);
  // What the scan keeps is copied out of the bytes: a slice of the whole-message string would keep
  // all of it alive for as long as the parsed message lives.
  const copy = (start: number, end: number) =>
    start >= end ? '' : raw.toString('latin1', start, Math.min(end, raw.length));
  const stack: (string | null)[] = [];
  // Per stack level: is it the body of an attached message? Read up to stack.length only.
  const attachedLevel: boolean[] = [];
  const charsets = new Set<string>();
  const scan: MimeScan = {
    topHeaders: '',
    parts: 1,
    depth: 0,
    declaredCharsets: [],
    isMultipartReport: false,
    deliveryStatus: null,
    originalHeaders: null,
    rawHeaderBlocks: [],
    utf7Bodies: [],
    namedTextParts: [],
    inlineMessages: [],
    plainAsHtml: [],
  };
  let pos = 0;
  let top = true;
  let captureHeaders = false;
  let leaves = 0;
  // Per stack level: is it a multipart/digest (whose parts default to message/rfc822)?
  const digestLevel: boolean[] = [];
  const alternatives = new AlternativeVersions();
  // Per stack level: the charset its multipart declares (senders put it there, e.g. on
  // multipart/signed, for parts that carry none of their own).
  const levelCharset: (string | null)[] = [];
  // Where the boundary line opening the current part starts (the part's range to leave out).
  let partLine = 0;
  const push = (entry: string | null) => {
    stack.push(entry);
    alternatives.openLevel(stack.length);
    scan.depth = Math.max(scan.depth, stack.length);
    if (stack.length > limits.maxDepth)
      throw limitError('depth', `nested deeper than ${limits.maxDepth}`);
  };
  // Broken structure that would lose the body (mime-repair.ts): the header block is rewritten.
  const repairBlock = (h: HeaderBlock, headerStart: number, isTop: boolean, attached: boolean) => {
    const r = planRepair(
      s,
      h,
      headerStart,
      { isTop, attached },
      () => nextBoundary(s, h.bodyStart, stack).found?.ls ?? s.length,
    );
    if (r.insertions.length > 0) (scan.insertions ??= []).push(...r.insertions);
    if (r.repair) (scan.headerRepairs ??= []).push(r.repair);
    if (r.base64Footer) (scan.base64Footers ??= []).push(r.base64Footer);
    // A boundary renamed (it had a non-ASCII byte) while h.boundary stays the one the lines carry.
    return r.repair?.boundary !== undefined && r.repair.boundary !== h.boundary
      ? r.repair.boundary
      : null;
  };
  // Per stack level: the ASCII boundary its delimiter lines are renamed to, if any.
  const renamedLevel: (string | null)[] = [];
  // Stray text after a boundary is dropped for mailparser, except inside an attached message
  // (kept byte for byte); a renamed boundary is renamed on its delimiter lines.
  const strayOf = (b: Boundary | null) => {
    if (b?.stray && !attachedLevel.slice(0, b.index + 1).includes(true))
      (scan.strayAfterBoundary ??= []).push(b.stray);
    const to = b ? renamedLevel[b.index] : null;
    if (b && to)
      (scan.boundaryRenames ??= []).push({
        start: b.ls + 2,
        end: b.ls + 2 + stack[b.index]!.length,
        text: to,
      });
  };
  const countPart = () => {
    if (++scan.parts > limits.maxParts)
      throw limitError('parts', `more than ${limits.maxParts} parts`);
  };
  for (;;) {
    const headerStart = pos;
    const h = readHeaderBlock(s, pos, stack, limits.maxHeaderBytes);
    const isTop = top;
    const inAttachedNow = attachedLevel.slice(0, stack.length).includes(true);
    const block = s.slice(pos, h.end);

    const charsetRepair = needsCharsetRepair(block);
    if (charsetRepair || hasFoldInWord(block)) {
      let attached = false;
      for (let i = 0; i < stack.length && !attached; i++) attached = attachedLevel[i] === true;
      const foldsOnly = !charsetRepair;
      scan.rawHeaderBlocks.push({
        start: pos,
        end: h.end,
        charset: h.charset,
        attached,
        foldsOnly,
      });
    }
    if (top) {
      scan.topHeaders = copy(0, h.end);
      scan.isMultipartReport = h.type === 'multipart/report';
      top = false;
    }
    if (captureHeaders) {
      scan.originalHeaders ??= bytesToText(copy(pos, Math.min(h.end, pos + MAX_CAPTURE))).text;
      captureHeaders = false;
    }
    if (h.charset && (h.type.startsWith('text/') || h.type === ''))
      charsets.add(h.charset.toLowerCase());
    pos = h.bodyStart;
    const renamed = repairBlock(h, headerStart, isTop, inAttachedNow);
    // A message inside the message (a forward sent inline, a digest member, which has no
    // Content-Type of its own) is kept whole as one .eml attachment, as mail clients list it.
    const digestMember = !isTop && h.type === '' && digestLevel[stack.length - 1] === true;
    const isMessage = h.type === 'message/rfc822' || h.type === 'message/global' || digestMember;
    if (isMessage && !isTop && !inAttachedNow && (digestMember || !h.attachment))
      scan.inlineMessages.push({ start: headerStart, end: h.end, addType: digestMember });
    if (h.type.startsWith('multipart/') && h.boundary) {
      alternatives.multipartVersion(stack.length, isTop, inAttachedNow, h.type, partLine);
      push(h.boundary);
      renamedLevel[stack.length - 1] = renamed;
      attachedLevel[stack.length - 1] = false;
      digestLevel[stack.length - 1] = h.type === 'multipart/digest';
      alternatives.markLevel(stack.length, h.type === 'multipart/alternative');
      levelCharset[stack.length - 1] = h.charset;
    } else if (isMessage && !['base64', 'quoted-printable'].includes(h.cte)) {
      push(null);
      renamedLevel[stack.length - 1] = null;
      attachedLevel[stack.length - 1] = h.attachment || !isTop;
      digestLevel[stack.length - 1] = false;
      alternatives.markLevel(stack.length, false);
      levelCharset[stack.length - 1] = null;
      countPart();
      captureHeaders = scan.originalHeaders === null;
      continue;
    }
    const capture =
      h.type === 'message/delivery-status' || h.type === 'message/global-delivery-status'
        ? 'ds'
        : h.type === 'text/rfc822-headers'
          ? 'rh'
          : null;
    const bodyStart = pos;
    let found: Boundary | null;
    ({ found, pos } = nextBoundary(s, pos, stack));
    strayOf(found);
    if (found) alternatives.boundary(found.index, found.ls);
    const bodyEnd = found ? found.ls : s.length;
    // An empty part: its only line break belongs to the delimiter after it (RFC 2046 5.1.1).
    if (
      found &&
      !found.closing &&
      bodyEnd - bodyStart <= 2 &&
      /^\r?\n$/.test(s.slice(bodyStart, bodyEnd)) &&
      !attachedLevel.slice(0, stack.length).includes(true)
    )
      (scan.emptyBodyBreaks ??= []).push({ start: bodyStart, end: bodyEnd });
    // A named text part after the first body part is a file the sender attached ("notes.txt" sent
    // inline): mailparser would join it into the body; it is marked an attachment instead.
    const inAttached = attachedLevel.slice(0, stack.length).includes(true);
    if (!inAttached) leaves++;
    if (
      !isTop &&
      !inAttached &&
      leaves > 1 &&
      h.namedInline &&
      (h.type === 'text/plain' || h.type === 'text/html')
    ) {
      scan.namedTextParts.push({ start: headerStart, end: h.end });
    }
    // A text part that cannot be read as text (binary, or a charset nothing decodes) is kept as an attachment.
    const textType =
      h.type === 'text/plain' || h.type === 'text/html' || (h.type === '' && !digestMember);
    const sample = () => copy(bodyStart, Math.min(bodyEnd, bodyStart + UNDECODABLE_SAMPLE));
    const declaredAbove =
      textType && !inAttached && !h.charset ? inheritedCharset(levelCharset, stack.length) : null;
    const inherited =
      declaredAbove && fitsInheritedCharset(sample(), h.cte, declaredAbove) ? declaredAbove : null;
    const undecodable =
      textType &&
      !inAttached &&
      !/^\s*attachment/i.test(h.disposition) &&
      isUndecodableText(sample(), h.cte, h.charset ?? inherited, knownCharset);
    if (undecodable) scan.namedTextParts.push({ start: headerStart, end: h.end });
    const guessed =
      textType && !inAttached && !undecodable
        ? (inherited ??
          unlabelledCharset(sample(), h.cte, h.charset, [
            ...(declaredAbove ? [declaredAbove] : []),
            ...charsets,
          ]))
        : null;
    // An HTML part without a label of its own that has to be guessed is read in the charset its
    // <meta> declares, as a browser reads it; so is an HTML document labelled text/plain.
    const unlabelled =
      guessed && !inherited && (h.type === 'text/html' || opensWithMarkup(sample(), h.cte))
        ? (htmlMetaCharset(sample(), h.cte) ?? guessed)
        : (guessed ??
          (textType && !inAttached && !undecodable
            ? utf8UnderNationalLabel(sample(), h.cte, h.charset)
            : null));
    if (unlabelled)
      (scan.unlabelledText ??= []).push({ start: headerStart, end: h.end, charset: unlabelled });
    alternatives.notePart({
      h,
      depth: stack.length,
      isTop,
      inAttached,
      undecodable,
      headerStart,
      bodyStart,
      bodyEnd,
      partLine,
    });
    if (isUtf7Label(h.charset) && (h.type.startsWith('text/') || h.type === '') && !inAttached) {
      scan.utf7Bodies.push({ start: headerStart, end: h.end, bodyStart, bodyEnd, cte: h.cte });
    }
    if (capture === 'ds')
      scan.deliveryStatus ??= decodeCapture(
        copy(bodyStart, Math.min(bodyEnd, bodyStart + MAX_CAPTURE)),
        h.cte,
      );
    if (capture === 'rh')
      scan.originalHeaders ??= decodeCapture(
        copy(bodyStart, Math.min(bodyEnd, bodyStart + MAX_CAPTURE)),
        h.cte,
      );
    // Closing delimiters fall back to the parent's body; an opening one starts the next part.
    while (found?.closing) {
      stack.length = found.index;
      ({ found, pos } = nextBoundary(s, pos, stack));
      strayOf(found);
      if (found) alternatives.boundary(found.index, found.ls);
    }
    if (!found) break;
    stack.length = found.index + 1;
    countPart();
    partLine = found.ls;
    pos = found.next;
  }
  scan.declaredCharsets = [...charsets, ...encodedWordCharsets(scan.topHeaders)];
  alternatives.finish(scan);
  return scan;
}
