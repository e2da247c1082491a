// A MIME set added in round 8 of issue #16, never scored before: the mail written inline in
// postalsys/postal-mime's own tests (JavaScript, MIT-0; test/*-test.js). The fixture files under
// test/fixtures are in ../shared/corpus/postal_mime and are not read here.
// A case is one `test(...)` whose mail js-data.ts can read as data (a Buffer or string built from
// literals) and that parses it once with postal-mime's defaults (a call with options is left out:
// options such as rfc822Attachments change what is listed). Its assertions on the parse result are
// the expectations:
// - `strictEqual(email.subject[.trim()], S)`, `email.text[.trim()]`, `email.from.address`,
//   `email.attachments.length`, `email.attachments[N].filename`, `email.messageId` (postal-mime keeps
//   the angle brackets, Inlet does not: compared without them);
// - `ok(email.text.includes(S))` and `ok(!email.text.includes(S))`: what the text must (not) hold;
// - added after the first scores, for the same cases (the split unchanged): `attachments[N].mimeType`
//   (a file of that declared type), `attachments[N].contentId` (without angle brackets) and
//   `ok(email.html.includes(S))` (in Inlet's sanitised HTML).
// Reviewed divergence (tune half), a rule about the mail: postal-mime reads an attached message
// (message/rfc822 with no attachment disposition) into the text; Inlet keeps it as one attached
// .eml, as mail clients do (FLATTENED: the text looked for is in that attached message). And
// postal-mime keeps `cid:` references in the HTML where Inlet links the stored file (CID_LINK).
// Cases are sorted by "file › title" and split in halves (firstHalf), fixed before any was scored.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { PreparedMessage } from '../../src/ingest/prepare.js';
import { scoreHalf } from './external-mime-round8-shared.js';
import { neverScored } from './external-round7-fresh.js';
import {
  type FieldScore,
  type Role,
  score,
  scoreFrom,
  scoreSubject,
  scoreText,
  type SetReport,
  ws,
} from './external-score.js';
import { type JsValue, readJs } from './js-data.js';

export interface PostalCase {
  id: string;
  mail: Buffer;
  subject?: string;
  text?: string;
  from?: string;
  messageId?: string;
  count?: number;
  names: string[];
  /** `attachments[N].mimeType` and `.contentId` (angle brackets kept, as postal-mime gives it). */
  types: string[];
  contentIds: string[];
  includes: string[];
  excludes: string[];
  htmlIncludes: string[];
}

/** The index just past the expression that starts at `from`: the first top-level ',' or ')'. */
function argumentEnd(src: string, from: number): number {
  let depth = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return i;
      depth--;
    } else if (c === ',' && depth === 0) return i;
  }
  return src.length;
}

const asText = (v: JsValue | null): string | undefined =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;

/** One test body read into a case, or null when its mail is not plain data or parsed twice. */
function caseOf(id: string, body: string): PostalCase | null {
  const env = new Map<string, JsValue>();
  for (const m of body.matchAll(/\b(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=\s*(?!await\b)/g)) {
    const v = readJs(body, m.index + m[0].length, env);
    if (v !== null) env.set(m[1]!, v);
  }
  const calls = [
    ...body.matchAll(/\b(?:const|let)\s+(\w+)\s*=\s*await\s+(?:parser|PostalMime)\.parse\(/g),
  ];
  if (calls.length !== 1 || /\.parse\(/.test(body.slice(calls[0]!.index + calls[0]![0].length)))
    return null;
  const call = calls[0]!;
  const argStart = call.index + call[0].length;
  if (body[argumentEnd(body, argStart)] !== ')') return null;
  const raw = readJs(body, argStart, env);
  const mail = Buffer.isBuffer(raw) ? raw : typeof raw === 'string' ? Buffer.from(raw) : null;
  if (!mail) return null;
  const c: PostalCase = {
    id,
    mail,
    names: [],
    types: [],
    contentIds: [],
    includes: [],
    excludes: [],
    htmlIncludes: [],
  };
  const v = call[1]!;
  for (const m of body.matchAll(/\bassert\.(?:strictEqual|equal|deepStrictEqual)\(/g)) {
    const comma = argumentEnd(body, m.index + m[0].length);
    if (body[comma] !== ',') continue;
    const target = body
      .slice(m.index + m[0].length, comma)
      .replace(/\s+/g, '')
      .replace(/\?\./g, '.');
    const want = readJs(body, comma + 1, env);
    if (want === null || body[argumentEnd(body, comma + 1)] === undefined) continue;
    const file = new RegExp(`^${v}\\.attachments\\[(\\d+)\\]\\.filename$`).exec(target);
    const part = new RegExp(`^${v}\\.attachments\\[(\\d+)\\]\\.(mimeType|contentId)$`).exec(target);
    const s = asText(want);
    if (new RegExp(`^${v}\\.subject(\\.trim\\(\\))?$`).test(target) && s !== undefined)
      c.subject = s;
    else if (new RegExp(`^${v}\\.text(\\.trim\\(\\))?$`).test(target) && s !== undefined)
      c.text = s;
    else if (target === `${v}.from.address` && s !== undefined) c.from = s;
    else if (target === `${v}.messageId` && s !== undefined) c.messageId = s;
    else if (target === `${v}.attachments.length` && typeof want === 'number') c.count = want;
    else if (file && s !== undefined) c.names[Number(file[1])] = s;
    else if (part && s !== undefined)
      (part[2] === 'mimeType' ? c.types : c.contentIds)[Number(part[1])] = s;
  }
  for (const m of body.matchAll(
    new RegExp(`\\bassert\\.ok\\(\\s*(!?)\\s*${v}\\.text\\.includes\\(`, 'g'),
  )) {
    const s = asText(readJs(body, m.index + m[0].length, env));
    if (s !== undefined) (m[1] ? c.excludes : c.includes).push(s);
  }
  for (const m of body.matchAll(
    new RegExp(`\\bassert\\.ok\\(\\s*${v}\\.html\\.includes\\(`, 'g'),
  )) {
    const s = asText(readJs(body, m.index + m[0].length, env));
    if (s !== undefined) c.htmlIncludes.push(s);
  }
  return c;
}

/** Whether a case asserts anything scored (a test of another API only parses). */
const expects = (c: PostalCase): boolean =>
  [c.subject, c.text, c.from, c.messageId, c.count].some((x) => x !== undefined) ||
  c.names.length + c.includes.length + c.excludes.length > 0;

/** Every test of postal-mime's test/*-test.js files with inline mail, sorted by id. */
export function postalCases(root: string): PostalCase[] {
  const dir = path.join(root, 'postalsys+postal-mime/test');
  if (!existsSync(dir)) return [];
  const out: PostalCase[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('-test.js'))
    .sort()) {
    const src = readFileSync(path.join(dir, f), 'utf8');
    const starts = [...src.matchAll(/^\s*(?:test|it)\(\s*(['"`])((?:(?!\1).)*)\1/gm)];
    starts.forEach((t, i) => {
      const body = src.slice(t.index, starts[i + 1]?.index ?? src.length);
      const c = caseOf(`${f} › ${t[2]}`, body);
      if (c && expects(c) && neverScored(root, c.mail)) out.push(c);
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const FLATTENED =
  'the project reads an attached message into the text; Inlet keeps it as one attached .eml (named by its subject), as mail clients do';
/** Whether `s` is in a message Inlet keeps attached. */
const inAttachedMessage = (got: PreparedMessage, s: string): boolean =>
  got.attachments.some(
    (a) =>
      /^message\/(rfc822|global)$/.test(a.declaredType) &&
      ws(a.content.toString('utf8')).includes(ws(s)),
  );

const CID_LINK =
  "the project keeps an inline image's cid: reference in the HTML; Inlet points it at the stored file (the Content-ID kept as data-cid)";

const bare = (id: string) => id.replace(/^\s*<|>\s*$/g, '');

function scoreCase(fields: Record<string, FieldScore>, c: PostalCase, got: PreparedMessage) {
  if (c.subject !== undefined) scoreSubject(fields, c.id, c.subject, got.parsed.subject);
  if (c.from !== undefined) scoreFrom(fields, c.id, c.from, got.parsed.from?.address);
  if (c.text !== undefined) scoreText(fields, c.id, c.text, got.text);
  if (c.messageId !== undefined)
    score(
      fields,
      'message id',
      bare(c.messageId) === (got.parsed.messageId ?? ''),
      c.id,
      `expected ${c.messageId} got ${got.parsed.messageId}`,
    );
  const listed = got.attachments.map((a) => `${a.filename} ${a.declaredType}`).join(', ');
  if (c.count !== undefined)
    score(
      fields,
      'attachment count',
      c.count === got.attachments.length,
      c.id,
      `expected ${c.count} got ${got.attachments.length} (${listed})`,
    );
  for (const name of c.names.filter((n) => n !== undefined))
    score(
      fields,
      'attachment names',
      got.attachments.some((a) => a.filename === name),
      c.id,
      `missing ${JSON.stringify(name)} (${listed})`,
    );
  const shown = ws(got.text ?? '');
  for (const s of c.includes)
    score(
      fields,
      'text includes',
      shown.includes(ws(s)),
      c.id,
      `no ${JSON.stringify(s)} in ${JSON.stringify(shown.slice(0, 80))}`,
      inAttachedMessage(got, s) ? FLATTENED : null,
    );
  for (const type of c.types.filter((t) => t !== undefined))
    score(
      fields,
      'attachment types',
      got.attachments.some((a) => a.declaredType === type.toLowerCase()),
      c.id,
      `no ${type} (${listed})`,
    );
  for (const cid of c.contentIds.filter((t) => t !== undefined))
    score(
      fields,
      'content ids',
      got.attachments.some((a) => a.contentId === bare(cid)),
      c.id,
      `no ${cid} (${got.attachments.map((a) => a.contentId).join(', ')})`,
    );
  const html = got.html ?? '';
  for (const s of c.htmlIncludes)
    score(
      fields,
      'html includes',
      html.includes(s),
      c.id,
      `no ${JSON.stringify(s)} in ${JSON.stringify(html.slice(0, 80))}`,
      /^cid:/i.test(s) && html.includes(`data-cid="${s.slice(4)}"`) ? CID_LINK : null,
    );
  for (const s of c.excludes)
    score(fields, 'text excludes', !shown.includes(ws(s)), c.id, `${JSON.stringify(s)} shown`);
}

/** postal-mime's inline test mail against its own assertions. */
export const postalInlineSet = (root: string, role: Role): Promise<SetReport | null> =>
  scoreHalf(
    'postalsys/postal-mime inline test mail (round 8, fresh)',
    role,
    postalCases(root),
    (c) => ({ id: c.id, raw: c.mail }),
    scoreCase,
  );
