// What the current derivation makes of one stored original, set against what is stored: the pure
// step of the rebuild (reparse.ts). Only the views that are a function of the original alone are
// derived again: text, sanitised HTML, reply, warnings and the header fields shown to agents
// (subject, from, to, cc, reply-to, date, with sent_at). What else the stored headers hold stays:
// Message-ID, In-Reply-To and References placed the message on its ticket and in the dedupe index
// (threading is not redone: moving a message between tickets under a helpdesk's feet is not a
// view fix), the bounce recipients come from classification, sender_auth from the mailbox's
// trust settings at ingest, `oversize` from parking.
import { attachmentUrl, type PreparedMessage, type StoredHeaders } from './prepare.js';

/** The derived views of a message, in clear. */
export interface DerivedViews {
  headers: StoredHeaders;
  text: string | null;
  html: string | null;
  reply: string | null;
  warnings: string[];
  sentAt: Date | null;
}

/** An attachment as stored: its id is what the sanitised HTML's cid: links point at. */
export interface StoredAttachment {
  id: string;
  position: number;
  size: number;
  contentId: string | null;
  /** Keyed digest of the content; null for rows stored before digests existed. */
  digest: Buffer | null;
}

export type Rederived =
  | { outcome: 'unchanged' }
  | { outcome: 'rebuilt'; views: DerivedViews; changed: DerivedField[] }
  /** The original now parses into other attachments than the stored ones: the HTML's links to them
   *  cannot be rebuilt without changing attachment identity (ids, scan verdicts), so nothing is. */
  | { outcome: 'attachments_changed' };

export type DerivedField = 'headers' | 'text' | 'html' | 'reply' | 'warnings' | 'sent_at';

export function rederive(
  prepared: PreparedMessage,
  stored: DerivedViews,
  attachments: StoredAttachment[],
  digest: (sha256: string) => Buffer,
): Rederived {
  const ids = sameAttachments(prepared, attachments, digest);
  if (!ids) return { outcome: 'attachments_changed' };
  const views: DerivedViews = {
    // Stored key order kept, so an unchanged document compares (and re-seals) byte for byte.
    headers: {
      ...stored.headers,
      subject: prepared.headers.subject,
      from: prepared.headers.from,
      to: prepared.headers.to,
      cc: prepared.headers.cc,
      reply_to: prepared.headers.reply_to,
      date: prepared.headers.date,
    },
    text: prepared.text,
    html: prepared.html === null ? null : relink(prepared.html, ids),
    reply: prepared.reply,
    warnings: prepared.warnings,
    sentAt: prepared.parsed.date,
  };
  const changed = changedFields(stored, views);
  return changed.length === 0 ? { outcome: 'unchanged' } : { outcome: 'rebuilt', views, changed };
}

export function changedFields(a: DerivedViews, b: DerivedViews): DerivedField[] {
  const out: DerivedField[] = [];
  if (JSON.stringify(a.headers) !== JSON.stringify(b.headers)) out.push('headers');
  if (a.text !== b.text) out.push('text');
  if (a.html !== b.html) out.push('html');
  if (a.reply !== b.reply) out.push('reply');
  if (a.warnings.join('\n') !== b.warnings.join('\n')) out.push('warnings');
  if ((a.sentAt?.getTime() ?? null) !== (b.sentAt?.getTime() ?? null)) out.push('sent_at');
  return out;
}

/**
 * The stored id of each prepared attachment (prepare gives every part a fresh id), or null when the
 * original no longer parses into the same parts in the same places: same count, and at each
 * position the same size, Content-ID and content digest (where one was stored).
 */
function sameAttachments(
  prepared: PreparedMessage,
  stored: StoredAttachment[],
  digest: (sha256: string) => Buffer,
): Map<string, string> | null {
  if (prepared.attachments.length !== stored.length) return null;
  const byPosition = new Map(stored.map((s) => [s.position, s]));
  const ids = new Map<string, string>();
  for (const a of prepared.attachments) {
    const s = byPosition.get(a.position);
    if (!s || s.size !== a.size || (s.contentId ?? null) !== (a.contentId ?? null)) return null;
    if (s.digest && !s.digest.equals(digest(a.sha256))) return null;
    ids.set(a.id, s.id);
  }
  return ids;
}

/** The sanitised HTML's attachment links, from the fresh ids prepare gave to the stored ones. */
function relink(html: string, ids: Map<string, string>): string {
  let out = html;
  // Fresh ids are random UUIDs: their URLs occur nowhere else in the document.
  for (const [fresh, kept] of ids) out = out.replaceAll(attachmentUrl(fresh), attachmentUrl(kept));
  return out;
}
