// The message stalwartlabs/mail-parser expects, as its N.json gives it (RFC 8621 layout: text_body,
// html_body and attachments index into parts), and what Inlet's text should hold by the project's
// conventions (see external-stalwart.ts): which parts make the text, and which are other renderings.
import { withoutCommands, ws } from './external-score.js';

export type Json = Record<string, unknown>;
export interface Part {
  headers: { name: string | { other: string }; value: Json }[];
  body: Json;
  is_encoding_problem?: boolean;
}
export interface Expected {
  text_body: number[];
  attachments: number[];
  parts: Part[];
}

export const headerValue = (p: Part, name: string): Json | undefined =>
  p.headers.find((h) => h.name === name)?.value;
export function attribute(p: Part, header: string, key: string): string | null {
  const ct = headerValue(p, header)?.ContentType as { attributes?: unknown } | undefined;
  const attrs = ct?.attributes;
  if (Array.isArray(attrs))
    for (const a of attrs as unknown[]) {
      if (Array.isArray(a) && a[0] === key) return String(a[1]);
      if (a && typeof a === 'object' && (a as Json).name === key) return String((a as Json).value);
    }
  if (attrs && typeof attrs === 'object' && !Array.isArray(attrs) && key in attrs)
    return String((attrs as Json)[key]);
  return null;
}
/** 'type/subtype' in lower case, or null when the part has no Content-Type. */
export function contentType(p: Part): string | null {
  const ct = headerValue(p, 'content_type')?.ContentType as Json | undefined;
  if (!ct) return null;
  return `${String(ct.c_type ?? '')}/${String(ct.c_subtype ?? '')}`.toLowerCase();
}
export const partSize = (p: Part): number | null => {
  const [kind, v] = Object.entries(p.body)[0] ?? [];
  if (kind === 'Binary' || kind === 'InlineBinary') return (v as number[]).length;
  if (kind === 'Text' || kind === 'Html') return Buffer.byteLength(String(v), 'utf8');
  return null;
};
export const isPlain = (p: Part) =>
  'Text' in p.body && [null, 'text/plain'].includes(contentType(p));
const ENRICHED = ['text/enriched', 'text/richtext'];
/** The text of these parts in order, enriched ones without their commands (as a client shows them). */
export const joinText = (exp: Expected, ids: number[]) =>
  ws(
    [...ids]
      .sort((a, b) => a - b)
      .map((i) => {
        const p = exp.parts[i]!;
        const t = contentType(p) ?? '';
        const text = String(p.body.Text);
        return ENRICHED.includes(t) ? withoutCommands(text, t === 'text/richtext') : text;
      })
      .join('\n'),
  );

/** Enriched or richtext parts the project lists as attachments that are neither named nor disposed
 * as attachments (those beside a plain or HTML version of an alternative are left out anyway). */
export const inlineEnriched = (exp: Expected, renderings: number[]): number[] =>
  exp.attachments.filter((i) => {
    const p = exp.parts[i]!;
    return (
      'Text' in p.body &&
      ENRICHED.includes(contentType(p) ?? '') &&
      !renderings.includes(i) &&
      attribute(p, 'content_type', 'name') === null &&
      attribute(p, 'content_disposition', 'filename') === null &&
      !/attachment/i.test(JSON.stringify(headerValue(p, 'content_disposition') ?? ''))
    );
  });

/** The text_body parts that are text, and its reading with one plain version per alternative. */
export function expectedTexts(exp: Expected): { ids: number[]; lastOnly: number[] } {
  const ids = exp.text_body.filter((i) => 'Text' in exp.parts[i]!.body);
  const dropped = new Set<number>();
  for (const p of exp.parts) {
    const kids = p.body.Multipart as number[] | undefined;
    if (!kids || contentType(p) !== 'multipart/alternative') continue;
    const plain = kids.filter((k) => isPlain(exp.parts[k]!));
    for (const k of plain.slice(0, -1)) dropped.add(k);
  }
  return { ids, lastOnly: ids.filter((i) => !dropped.has(i)) };
}

/** Enriched (or similar) versions of an alternative that also has a plain or HTML version. */
export function renderingsOf(exp: Expected): number[] {
  const out: number[] = [];
  for (const p of exp.parts) {
    const kids = p.body.Multipart as number[] | undefined;
    if (!kids || contentType(p) !== 'multipart/alternative') continue;
    const types = kids.map((k) => contentType(exp.parts[k]!));
    if (!types.some((t) => t === null || t === 'text/plain' || t === 'text/html')) continue;
    out.push(
      ...kids.filter((_k, i) =>
        ['text/enriched', 'text/richtext', 'text/watch-html'].includes(types[i] ?? ''),
      ),
    );
  }
  return out.filter((i) => exp.attachments.includes(i));
}
