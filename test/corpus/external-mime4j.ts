// apache/james-mime4j: core/src/test/resources/{testmsgs,mimetools-testmsgs}/X.msg, each with
// X_decoded.xml (the entity tree mime4j read: every part's header fields, nested multiparts and
// messages, and the decoded body of each leaf written to X_decoded_N.txt / .bin). Many are broken
// on purpose (bad boundaries, missing ends, fragments, uuencode junk, bad newlines). The tree is the
// project's expectation; what a helpdesk shows is derived from it the way mail clients do:
// - a leaf is an attachment when it is disposed as one, names a file, is not text/plain or
//   text/html, or is a message/rfc822 (one .eml, never opened into its parts — issue #16 class 6);
// - the text is the inline text/plain leaves in order (scored only when no inline HTML leaf is
//   shown beside it, since Inlet's text then holds the HTML's text too); in multipart/alternative
//   the text/plain alternative is the one shown;
// - sizes are the decoded leaf files' sizes; names only where the header spells them plainly.
// Cases are split in halves on their sorted names (external-score.ts), fixed before any was read.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { type PreparedMessage, prepareMessage } from '../../src/ingest/prepare.js';
import { sanitizeFilename } from '../../src/ingest/stages/attachments-meta.js';
import { decodeUnknownBytes } from '../../src/ingest/stages/header-charset.js';
import { isFieldLine } from '../../src/ingest/stages/mime-repair.js';
import { splitUuencodedFiles } from '../../src/ingest/stages/uudecode.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import {
  type FieldScore,
  half,
  INLINE_ENRICHED,
  type Role,
  score,
  type SetReport,
  UUENCODE_IN_BODY,
  withoutCommands,
  ws,
} from './external-score.js';

// Reviewed divergences (each checked by hand on the mail; the rules name the class, not files).
const UNFOLDED_LINE =
  'a line that is no field, with fields after it, starts the body for the project; Inlet reads it as an unfolded continuation of the field above (as mailparser does), since the header evidently goes on';
/** The first header line that is no field and not folded, when a field follows it. */
function unfoldedLine(raw: string): string | null {
  const lines = raw.split(/\r?\n\r?\n/)[0]!.split(/\r?\n/);
  const i = lines.findIndex((l, k) => k > 0 && !/^[ \t]/.test(l) && !isFieldLine(l));
  return i > 0 && lines.slice(i + 1).some(isFieldLine) ? lines[i]! : null;
}
const NAME_SANITISED =
  'names are display data (security.md): a path is cut to its last segment and characters unsafe in a file name are replaced';

interface Entity {
  fields: string[];
  /** Decoded body file of a leaf. */
  file?: string;
  binary?: boolean;
  parts?: Entity[];
  message?: Entity;
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/** Reads mime4j's _decoded.xml (a fixed, small vocabulary) into entities. */
function readTree(xml: string): Entity {
  const tokens = [...xml.matchAll(/<(\/?)([\w-]+)([^>]*?)(\/?)>|([^<]+)/g)];
  let i = 0;
  const entity = (end: string): Entity => {
    const e: Entity = { fields: [] };
    while (i < tokens.length) {
      const [, close, tag, attrs, selfClose, text] = tokens[i++]!;
      if (text !== undefined) continue;
      if (close) {
        if (tag === end) return e;
        continue;
      }
      if (tag === 'field') {
        const t = tokens[i]?.[5] ?? '';
        e.fields.push(unescape(t).replace(/^\r?\n/, ''));
      } else if (tag === 'text-body' || tag === 'binary-body') {
        e.file = /name="([^"]+)"/.exec(attrs ?? '')?.[1];
        e.binary = tag === 'binary-body';
      } else if (tag === 'multipart') e.parts = [];
      else if (tag === 'body-part' && !selfClose) (e.parts ??= []).push(entity('body-part'));
      else if (tag === 'message' && !selfClose) e.message = entity('message');
      else if (tag === 'preamble' || tag === 'epilogue') {
        if (!selfClose) while (i < tokens.length && tokens[i]![2] !== tag) i++;
        i++;
      }
    }
    return e;
  };
  while (i < tokens.length && tokens[i]![2] !== 'message') i++;
  i++;
  return entity('message');
}

function field(e: Entity, name: string): string | null {
  const f = e.fields.find((x) => x.toLowerCase().startsWith(`${name}:`));
  return f === undefined
    ? null
    : f
        .slice(name.length + 1)
        .replace(/\r?\n(?=[ \t])/g, '')
        .trim();
}
const param = (value: string | null, key: string): string | null => {
  const m = new RegExp(`;\\s*${key}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value ?? '');
  return m ? (m[1] ?? m[2] ?? '') : null;
};
const typeOf = (e: Entity, digest: boolean): string => {
  const t = /^\s*([\w.+-]+\/[\w.+-]+)/.exec(field(e, 'content-type') ?? '')?.[1]?.toLowerCase();
  return t ?? (digest ? 'message/rfc822' : 'text/plain');
};

/** A text leaf's decoded bytes as text: its declared charset, else the likeliest one. */
function decodeLeaf(e: Entity, bytes: Buffer): string {
  const charset = param(field(e, 'content-type'), 'charset');
  try {
    if (charset) return new TextDecoder(charset, { fatal: true }).decode(bytes);
  } catch {
    // an unknown or wrong label: fall through to the guess
  }
  return decodeUnknownBytes(bytes).text;
}

interface Expected {
  text: Entity[];
  html: number;
  attachments: { e: Entity; type: string; name: string | null }[];
  /** Inline enriched or richtext leaves (counted as attachments above), and every shown text leaf
   * with them in order: clients show such a part as text (a reviewed divergence). */
  enriched: Entity[];
  shown: Entity[];
}

function walk(e: Entity, digest: boolean, alternative: boolean, out: Expected): void {
  const type = typeOf(e, digest);
  if (e.parts) {
    const alt = type === 'multipart/alternative';
    const kids = alt
      ? // The text/plain alternative is the one shown; attachments inside others still count.
        e.parts.filter((p, k, all) => {
          const t = typeOf(p, false);
          // RFC 2046 5.1.4: the last alternative is the preferred one.
          const plain = all.findLastIndex((x) => typeOf(x, false) === 'text/plain');
          return plain < 0 ? k === all.length - 1 : k === plain || !t.startsWith('text/');
        })
      : e.parts;
    for (const p of kids) walk(p, type === 'multipart/digest', alt, out);
    return;
  }
  const disposition = field(e, 'content-disposition');
  const rawName = param(disposition, 'filename') ?? param(field(e, 'content-type'), 'name');
  const plainName = rawName && !/=\?|\*/.test(rawName) ? rawName : null;
  const attachment =
    /^\s*attachment/i.test(disposition ?? '') ||
    rawName !== null ||
    e.message !== undefined ||
    type === 'message/rfc822' ||
    (type !== 'text/plain' && type !== 'text/html');
  if (attachment) out.attachments.push({ e, type, name: plainName });
  else if (type === 'text/html') out.html++;
  else if (!alternative || type === 'text/plain') out.text.push(e);
  const inlineRich =
    (type === 'text/enriched' || type === 'text/richtext') &&
    rawName === null &&
    !/^\s*attachment/i.test(disposition ?? '');
  if (inlineRich) out.enriched.push(e);
  if (
    inlineRich ||
    (!attachment && type !== 'text/html' && (!alternative || type === 'text/plain'))
  )
    out.shown.push(e);
}

async function prepare(file: string): Promise<PreparedMessage | Error> {
  try {
    return await prepareMessage(readFileSync(file), defaultIngestLimits);
  } catch (e) {
    return e as Error;
  }
}

function caseNames(base: string): string[] {
  return ['testmsgs', 'mimetools-testmsgs']
    .flatMap((d) =>
      existsSync(path.join(base, d))
        ? readdirSync(path.join(base, d))
            .filter((n) => n.endsWith('_decoded.xml'))
            .map((n) => `${d}/${n.slice(0, -'_decoded.xml'.length)}`)
        : [],
    )
    .filter((id) => existsSync(path.join(base, `${id}.msg`)))
    .sort();
}

export async function mime4jSet(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'apache+james-mime4j/core/src/test/resources');
  if (!existsSync(base)) return null;
  const ids = half(caseNames(base), role);
  const fields: Record<string, FieldScore> = {};
  for (const id of ids) {
    const tree = readTree(readFileSync(path.join(base, `${id}_decoded.xml`), 'utf8'));
    const got = await prepare(path.join(base, `${id}.msg`));
    if (got instanceof Error) {
      score(fields, 'parsed', false, id, `threw ${got.message}`);
      continue;
    }
    score(fields, 'parsed', true, id);
    const dir = path.dirname(path.join(base, id));
    const exp: Expected = { text: [], html: 0, attachments: [], enriched: [], shown: [] };
    walk(tree, false, false, exp);

    const from = field(tree, 'from');
    const want = (/<([^<>@\s]+@[^<>\s]+)>/.exec(from ?? '') ??
      /([^\s<>"(),;:]+@[^\s<>"(),;:]+)/.exec(from ?? ''))?.[1]?.toLowerCase();
    const gotFrom = (got.parsed.from?.address ?? '').toLowerCase();
    if (want) score(fields, 'from', want === gotFrom, id, `expected ${want} got ${gotFrom}`);

    const textOf = (e: Entity) =>
      e.file ? decodeLeaf(e, readFileSync(path.join(dir, e.file))) : '';
    const plain = exp.text.map(textOf).join('\n');
    const withEnriched = ws(
      exp.shown
        .map((e) =>
          exp.enriched.includes(e)
            ? withoutCommands(textOf(e), typeOf(e, false) === 'text/richtext')
            : textOf(e),
        )
        .join('\n'),
    );
    // Files uuencoded into the body: the project keeps them in the text, Inlet lifts them out.
    const uu = splitUuencodedFiles(plain.replace(/\r\n/g, '\n'));
    if (exp.text.length > 0 && exp.html === 0) {
      const wantText = ws(plain);
      const body = ws(got.text ?? '');
      score(
        fields,
        'text',
        wantText === body,
        id,
        `expected ${JSON.stringify(wantText.slice(0, 60))} got ${JSON.stringify(body.slice(0, 60))}`,
        uu && ws(uu.text) === body
          ? UUENCODE_IN_BODY
          : wantText.startsWith(
                ws(unfoldedLine(readFileSync(path.join(base, `${id}.msg`), 'latin1')) ?? '\0'),
              )
            ? UNFOLDED_LINE
            : exp.enriched.length > 0 && withEnriched === body
              ? INLINE_ENRICHED
              : null,
      );
    }
    score(
      fields,
      'attachment count',
      exp.attachments.length === got.attachments.length,
      id,
      `expected ${exp.attachments.length} (${exp.attachments.map((a) => a.type).join(', ')}) got ${got.attachments.length} (${got.attachments.map((a) => a.declaredType).join(', ')})`,
      uu && exp.attachments.length + uu.files.length === got.attachments.length
        ? UUENCODE_IN_BODY
        : exp.enriched.length > 0 &&
            exp.attachments.length - exp.enriched.length === got.attachments.length
          ? INLINE_ENRICHED
          : null,
    );
    for (const a of exp.attachments) {
      if (a.name)
        score(
          fields,
          'attachment names',
          got.attachments.some((x) => x.filename === a.name),
          id,
          `missing ${a.name} (${got.attachments.map((x) => x.filename).join(', ')})`,
          got.attachments.some((x) => x.filename === sanitizeFilename(a.name).name)
            ? NAME_SANITISED
            : null,
        );
      if (!a.e.file) continue;
      const size = statSync(path.join(dir, a.e.file)).size;
      score(
        fields,
        'attachment sizes',
        got.attachments.some((x) => x.size === size),
        id,
        `no attachment of ${size} bytes (${got.attachments.map((x) => x.size).join(',')})`,
        exp.enriched.includes(a.e) ? INLINE_ENRICHED : null,
      );
    }
  }
  return { set: 'apache/james-mime4j', role, cases: ids.length, fields };
}
