// Sender authenticity from Authentication-Results (RFC 8601), read the only way that cannot be
// forged: anyone can write the field into their own message, so only the copy the receiving
// provider added counts. Receivers prepend, so theirs sits above anything the sender wrote; we take
// the topmost field whose authserv-id the mailbox's provider uses (security.md control 42). Gmail
// writes `mx.google.com`; Microsoft 365 writes no authserv-id at all ("spf=pass (sender IP is …)
// smtp.mailfrom=…; dkim=…; dmarc=… action=none header.from=…;compauth=…"), so for it the id-less
// form is what is trusted; IMAP servers and imported mail use the ids the operator configures.
import type { ParsedMessage } from '../types.js';
import { type DeceptionFlag, deceptionFlags } from './deception.js';

/** Which Authentication-Results fields a mailbox's receiving server writes. */
export interface AuthservTrust {
  /** authserv-ids, compared case-insensitively. */
  ids: readonly string[];
  /** Microsoft's form without an authserv-id. */
  idless: boolean;
}

export const trustNothing: AuthservTrust = Object.freeze({ ids: [], idless: false });

/** What the sealed headers document keeps (verdict words as the provider wrote them, lower-cased). */
export interface SenderAuth {
  /** The trusted field's authserv-id; null for Microsoft's id-less form or when none was found. */
  authserv_id: string | null;
  /** A field written by the receiving provider was found. */
  trusted_header: boolean;
  spf: string | null;
  /** 'pass' when any signature passed, else the first result. */
  dkim: string | null;
  dmarc: string | null;
  /** Display-name deception (deception.ts). */
  deception: DeceptionFlag[];
  /** The ticket a DMARC failure kept this message off (thread-rules.ts); set when it is stored. */
  withheld_from: string | null;
}

interface AuthResults {
  authservId: string | null;
  results: { method: string; result: string }[];
}

// A method or result keyword (RFC 8601 §2.2: Keyword); anything else in that place is not a result.
const keyword = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
// methodspec: method ["/" version] "=" result; the rest of a resinfo (reason, properties) is ignored.
const methodSpec = /^([a-z0-9][a-z0-9_.-]*)\s*(?:\/\s*\d+\s*)?=\s*([^\s;]+)/;

/**
 * The field with comments removed and split at the semicolons that separate its parts, quoted
 * strings kept whole. Linear: one pass, nesting counted.
 */
function parts(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (quoted) cur += c + (value[i + 1] ?? '');
      i++;
    } else if (depth > 0) {
      if (c === '(') depth++;
      else if (c === ')') depth--;
    } else if (quoted) {
      cur += c;
      if (c === '"') quoted = false;
    } else if (c === '(') {
      depth = 1;
      cur += ' ';
    } else if (c === '"') {
      quoted = true;
      cur += c;
    } else if (c === ';') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** One Authentication-Results field; null when it is not one (no authserv-id and no result). */
export function parseAuthResults(value: string): AuthResults | null {
  const [head = '', ...rest] = parts(value);
  // "authserv-id [version]", or — Microsoft — straight into the first result.
  const idless = head.includes('=');
  const id = idless ? null : head.split(/\s+/)[0]!.replace(/^"|"$/g, '').toLowerCase();
  if (!idless && !id) return null;
  const results: AuthResults['results'] = [];
  for (const p of idless ? [head, ...rest] : rest) {
    const m = methodSpec.exec(p.toLowerCase());
    // Microsoft puts bare domains between results ("…smtp.mailfrom=a.example; b.example; dkim=…").
    if (m && keyword.test(m[2]!)) results.push({ method: m[1]!, result: m[2]! });
  }
  if (idless && results.length === 0) return null;
  return { authservId: id, results };
}

/** The topmost field the receiving provider wrote, or null when it wrote none. */
export function trustedAuthResults(values: string[], trust: AuthservTrust): AuthResults | null {
  const ids = new Set(trust.ids.map((i) => i.toLowerCase()));
  for (const v of values) {
    const ar = parseAuthResults(v);
    if (!ar) continue;
    if (ar.authservId === null ? trust.idless : ids.has(ar.authservId)) return ar;
  }
  return null;
}

export function senderAuth(msg: ParsedMessage, trust: AuthservTrust): SenderAuth {
  const ar = trustedAuthResults(msg.headers.get('authentication-results') ?? [], trust);
  const of = (method: string) =>
    ar?.results.filter((r) => r.method === method).map((r) => r.result) ?? [];
  const dkim = of('dkim');
  return {
    authserv_id: ar?.authservId ?? null,
    trusted_header: ar !== null,
    spf: of('spf')[0] ?? null,
    dkim: dkim.includes('pass') ? 'pass' : (dkim[0] ?? null),
    dmarc: of('dmarc')[0] ?? null,
    deception: deceptionFlags(msg.from, msg.replyTo),
    withheld_from: null,
  };
}

/**
 * The receiving provider says the From domain failed DMARC: the sender may not be who the From
 * says, so the message must not act as that person (thread-rules.ts, page-decide.ts).
 */
export const failedDmarc = (a: SenderAuth): boolean => a.dmarc === 'fail';
