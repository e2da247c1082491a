// What a parser adapter hands to buildParsedMessage (normalise.ts), and the library-independent
// structure facts the pre-scan (mime-scan.ts) found.
import type { HeaderRepair } from './mime-repair.js';

/** One mailbox or group as a parsing library returns it. */
export interface RawAddress {
  name?: string | undefined;
  address?: string | undefined;
  group?: RawAddress[] | undefined;
}

export interface AdapterAttachment {
  filename: string | null;
  /** Content-Description, used for a display name when the part names no file. */
  description: string | null;
  contentType: string;
  /** The Content-Type parameters (names in lower case), where the adapter reads them. */
  typeParams?: Record<string, string>;
  contentId: string | null;
  inline: boolean;
  content: Buffer;
}

/** What a parser adapter hands over; see parse.ts (mailparser) and bench/postal-adapter.ts. */
export interface AdapterOutput {
  from: RawAddress[];
  sender: RawAddress[];
  replyTo: RawAddress[];
  to: RawAddress[];
  cc: RawAddress[];
  subject: string | null;
  text: string | null;
  html: string | null;
  attachments: AdapterAttachment[];
}

/** A base64 text body with a text footer after it (mime-base64-footer.ts): offsets in the raw message. */
export interface Base64Footer {
  bodyStart: number;
  footerStart: number;
  bodyEnd: number;
}

/** Structure facts found by the pre-scan in parse.ts (library independent). */
export interface MimeScan {
  /** Top-level header block, one char per byte (latin1), folding intact. */
  topHeaders: string;
  parts: number;
  depth: number;
  declaredCharsets: string[];
  isMultipartReport: boolean;
  deliveryStatus: string | null;
  originalHeaders: string | null;
  /** Header blocks holding 8-bit bytes that are not UTF-8: [start, end) offsets and the part's charset. */
  rawHeaderBlocks: {
    start: number;
    end: number;
    charset: string | null;
    attached: boolean;
    /** Only encoded words cut by a fold to join: no charset was guessed for it. */
    foldsOnly?: boolean;
  }[];
  /** Text parts in UTF-7 (not inside an attached message): header block [start, end), body [bodyStart, bodyEnd). */
  utf7Bodies: { start: number; end: number; bodyStart: number; bodyEnd: number; cte: string }[];
  /** Header blocks of text parts to show as attachments: named and not the first body part, or not readable as text (undecodable.ts). */
  namedTextParts: { start: number; end: number }[];
  /** Header blocks of messages inside the message sent inline (forwards, digest members; addType: no Content-Type of its own). */
  inlineMessages: { start: number; end: number; addType: boolean }[];
  /** text/enriched and text/richtext parts shown inline (enriched.ts): header block [start, end),
   * body [bodyStart, bodyEnd), handed on as text/plain. */
  enrichedBodies?: {
    start: number;
    end: number;
    bodyStart: number;
    bodyEnd: number;
    cte: string;
    richtext: boolean;
  }[];
  /** Earlier plain versions of a multipart/alternative that has several, and other renderings
   * (enriched, Apple Watch HTML) beside a plain or HTML version: [start, end) from the part's
   * boundary line to the next one, left out so only the version a client shows is there. */
  droppedAlternatives?: { start: number; end: number }[];
  /** The boundary of a delimiter line whose multipart's boundary has a non-ASCII byte, renamed to
   * the ASCII one its header block is given (mime-repair.ts): mailparser splits by no such boundary. */
  boundaryRenames?: { start: number; end: number; text: string }[];
  /** Text after a boundary on its line, dropped so mailparser takes the line for the boundary. */
  strayAfterBoundary?: { start: number; end: number }[];
  /** The lone line break that is the whole body of an empty part followed by another part:
   * dropped, or mailparser hands it on as the part's content (an empty file listed as 1 byte). */
  emptyBodyBreaks?: { start: number; end: number }[];
  /** Header blocks rewritten so the body is not lost (mime-repair.ts). */
  headerRepairs?: HeaderRepair[];
  /** Text inserted at an offset: the blank line a header block lacks, the fold of a line that
   * continues a field without one. */
  insertions?: { at: number; text: string }[];
  /** Text/plain body pieces of a mixed message that also has HTML pieces: handed on as HTML, in place
   * (keepText: the message has a text version too, so the piece goes on as both, an alternative of its own). */
  /** Text parts (not inside an attached message) that declare no charset, or US-ASCII, over 8-bit bytes that are not UTF-8: header block [start, end) and the charset to read them in. */
  unlabelledText?: { start: number; end: number; charset: string }[];
  /** Base64 text bodies with a footer appended as text, to re-encode whole. */
  base64Footers?: Base64Footer[];
  plainAsHtml?: {
    start: number;
    end: number;
    bodyStart: number;
    bodyEnd: number;
    cte: string;
    charset: string | null;
    keepText?: boolean;
  }[];
}
