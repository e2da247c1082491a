// Which versions of the body a client shows, noted during the pre-scan (mime-scan.ts): RFC 2046
// 5.1.4 makes the parts of a multipart/alternative the same content, of which a client shows the
// last it can, while the pieces of a mixed message are shown one after another. mailparser joins
// them all, so the scan notes the versions to leave out and the plain pieces to show as HTML.
import type { HeaderBlock } from './mime-header-block.js';
import type { MimeScan } from './normalise-types.js';
import { isUtf7Label } from './utf7.js';

// Renderings of the body text beside its plain and HTML versions (RFC 1896 enriched, the older
// richtext, Apple Watch's short HTML): a client shows one version and lists none of them as files.
const RENDERINGS = new Set(['text/enriched', 'text/richtext', 'text/watch-html']);

/** A leaf part as the scan found it; `depth` is the number of open levels around it. */
export interface LeafPart {
  h: HeaderBlock;
  depth: number;
  isTop: boolean;
  inAttached: boolean;
  undecodable: boolean;
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  /** Where the boundary line opening the part starts (the part's range to leave out). */
  partLine: number;
}

/** A multipart that is a version of an alternative. */
interface MultipartVersion {
  parent: number;
  type: string;
  start: number;
  end: number | null;
  /** Holds only body text (and renderings of it), no file. */
  textOnly: boolean;
  shown: boolean;
}

export class AlternativeVersions {
  // Per stack level: is it a multipart/alternative (whose parts are versions, not pieces, of the body)?
  private readonly altLevel: boolean[] = [];
  // Per stack level: which multipart it is (a serial), so versions of one alternative are grouped.
  private readonly levelSerial: number[] = [];
  private serial = 0;
  // An HTML version inside an alternative: the message has an HTML body the pieces beside it belong in.
  private altHtml = false;
  // Body pieces outside any alternative, with their type: the plain ones may go on as HTML.
  private readonly bodyLeaves: (Omit<NonNullable<MimeScan['plainAsHtml']>[number], 'keepText'> & {
    type: string;
  })[] = [];
  // Plain versions in alternatives, by the alternative's serial: [boundary line, body end).
  private readonly plainVersions = new Map<number, { start: number; end: number }[]>();
  // Other renderings of the same text (enriched, Apple Watch HTML), by the alternative's serial, and
  // the alternatives that have a version a client shows (plain or HTML) beside them.
  private readonly renderings = new Map<number, { start: number; end: number }[]>();
  private readonly shownVersions = new Set<number>();
  // Enriched or richtext parts to show as text, with their alternative's serial when in one.
  private readonly enriched: (NonNullable<MimeScan['enrichedBodies']>[number] & {
    alt: number | null;
  })[] = [];
  // Multipart versions of an alternative, the level each opens, and where the body-text versions of
  // an alternative start (by its serial): an alternative whose versions are alternatives shows
  // only the last, so the text of the earlier ones is not joined into the body.
  private readonly multipartVersions: MultipartVersion[] = [];
  private readonly versionLevel: (MultipartVersion | undefined)[] = [];
  private readonly versionStarts = new Map<number, number[]>();

  /** A level was opened: `depth` is the number of open levels with it. */
  openLevel(depth: number): void {
    this.levelSerial[depth - 1] = ++this.serial;
  }

  /** Marks the level just opened as a multipart/alternative or not. */
  markLevel(depth: number, alternative: boolean): void {
    this.altLevel[depth - 1] = alternative;
  }

  /**
   * A multipart part is about to open at `partLine`: as a version of an alternative (related HTML
   * and its images) a client shows it. Nested alternatives are noted as versions of their own.
   */
  multipartVersion(
    depth: number,
    isTop: boolean,
    inAttached: boolean,
    type: string,
    partLine: number,
  ): void {
    if (isTop || inAttached || this.altLevel[depth - 1] !== true) return;
    const parent = this.levelSerial[depth - 1]!;
    this.shownVersions.add(parent);
    const child: MultipartVersion = {
      parent,
      type,
      start: partLine,
      end: null,
      textOnly: true,
      shown: false,
    };
    this.multipartVersions.push(child);
    // The level it opens is `depth` (0-based) once pushed.
    this.versionLevel[depth] = child;
  }

  /** A delimiter of the level at `index` starts at `ls`: a version that level holds ends there. */
  boundary(index: number, ls: number): void {
    const child = this.versionLevel[index + 1];
    if (child && child.end === null) child.end = ls;
    this.versionLevel.length = Math.min(this.versionLevel.length, index + 1);
  }

  notePart(p: LeafPart): void {
    const { h, depth, isTop, inAttached, undecodable } = p;
    const inAlternative = this.altLevel.slice(0, depth).includes(true);
    const bodyText =
      !undecodable &&
      ['text/plain', 'text/html', ''].includes(h.type) &&
      !h.namedInline &&
      !/^\s*attachment/i.test(h.disposition);
    // The multipart versions around this leaf: only body text keeps one a version to leave out.
    // (A multipart's own preamble is noted as a part too: it is no leaf.)
    for (const v of h.type.startsWith('multipart/') ? [] : this.versionLevel.slice(0, depth))
      if (v) {
        v.shown ||= bodyText;
        v.textOnly &&= bodyText || RENDERINGS.has(h.type);
      }
    if (bodyText && !isTop && !inAttached && this.altLevel[depth - 1] === true) {
      const parent = this.levelSerial[depth - 1]!;
      this.versionStarts.set(parent, [...(this.versionStarts.get(parent) ?? []), p.partLine]);
    }
    if (!undecodable && !isTop && !inAttached && h.type === 'text/html' && inAlternative)
      this.altHtml = true;
    // Body pieces of a mixed message outside any alternative: a client shows them one after another.
    if (
      !undecodable &&
      !isTop &&
      !inAttached &&
      !h.namedInline &&
      !/^\s*attachment/i.test(h.disposition) &&
      (h.type === 'text/plain' || h.type === 'text/html' || h.type === '') &&
      !inAlternative
    ) {
      this.bodyLeaves.push({
        type: h.type || 'text/plain',
        start: p.headerStart,
        end: h.end,
        bodyStart: p.bodyStart,
        bodyEnd: p.bodyEnd,
        cte: h.cte,
        charset: h.charset,
      });
    }
    const directAlt = this.altLevel[depth - 1] === true;
    // mailparser joins every plain version of an alternative into the text, so the plain ones are noted.
    if (
      !undecodable &&
      !isTop &&
      !inAttached &&
      directAlt &&
      !h.namedInline &&
      !/^\s*attachment/i.test(h.disposition) &&
      (h.type === 'text/plain' || h.type === '')
    ) {
      const key = this.levelSerial[depth - 1]!;
      this.plainVersions.set(key, [
        ...(this.plainVersions.get(key) ?? []),
        { start: p.partLine, end: p.bodyEnd },
      ]);
    }
    // The versions of an alternative a client can show, and other renderings of the same text it
    // never lists as files: those are left out when a shown version is there.
    if (!isTop && !inAttached && directAlt) {
      const key = this.levelSerial[depth - 1]!;
      if (!undecodable && ['text/plain', 'text/html', ''].includes(h.type))
        this.shownVersions.add(key);
      else if (RENDERINGS.has(h.type))
        this.renderings.set(key, [
          ...(this.renderings.get(key) ?? []),
          { start: p.partLine, end: p.bodyEnd },
        ]);
    }
    if (
      (h.type === 'text/enriched' || h.type === 'text/richtext') &&
      !inAttached &&
      !h.namedInline &&
      !/^\s*attachment/i.test(h.disposition)
    )
      this.enriched.push({
        start: p.headerStart,
        end: h.end,
        bodyStart: p.bodyStart,
        bodyEnd: p.bodyEnd,
        cte: h.cte,
        richtext: h.type === 'text/richtext',
        alt: !isTop && directAlt ? this.levelSerial[depth - 1]! : null,
      });
  }

  /** Writes the versions to leave out, the enriched bodies and the plain pieces to show as HTML. */
  finish(scan: MimeScan): void {
    // An alternative of text-only alternatives before a later version a client shows.
    for (const v of this.multipartVersions) {
      const later =
        (this.versionStarts.get(v.parent) ?? []).some((start) => start > v.start) ||
        this.multipartVersions.some((w) => w.parent === v.parent && w.start > v.start && w.shown);
      if (v.type === 'multipart/alternative' && v.textOnly && v.end !== null && later)
        (scan.droppedAlternatives ??= []).push({ start: v.start, end: v.end });
    }
    for (const versions of this.plainVersions.values())
      if (versions.length > 1) (scan.droppedAlternatives ??= []).push(...versions.slice(0, -1));
    for (const [key, versions] of this.renderings)
      if (this.shownVersions.has(key)) (scan.droppedAlternatives ??= []).push(...versions);
    scan.droppedAlternatives?.sort((a, b) => a.start - b.start);
    // Those left out beside a version a client shows are not shown either.
    const shownEnriched = this.enriched
      .filter((e) => e.alt === null || !this.shownVersions.has(e.alt))
      .map(({ alt: _alt, ...e }) => e);
    if (shownEnriched.length > 0) scan.enrichedBodies = shownEnriched;
    // Plain pieces beside HTML pieces become HTML too, so the HTML body holds every piece in order
    // (mailparser joins the HTML parts and the text parts separately; the text comes from the HTML).
    const { altHtml, bodyLeaves } = this;
    if (
      (altHtml || bodyLeaves.some((l) => l.type === 'text/html')) &&
      bodyLeaves.some((l) => l.type === 'text/plain')
    ) {
      // Beside an alternative (a text and an HTML version) a plain piece, typically a footer a list or
      // gateway appended, belongs in both versions: it goes on as an alternative of its own.
      scan.plainAsHtml = bodyLeaves
        .filter((l) => l.type === 'text/plain' && !isUtf7Label(l.charset))
        .map((l) => (altHtml ? { ...l, keepText: true } : l));
    }
  }
}
