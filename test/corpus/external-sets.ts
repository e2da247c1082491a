// Public test mail from other projects, scored against each project's own expectations: reply
// trimming (discourse, zapier, alfonsrv, EdgeTier, quotequail and talon's inline cases in external-reply-sets.ts), MIME structure (stalwartlabs/mail-parser golden JSON;
// the PHP sets, SpamScope, apache/james-mime4j and jhillyerd/enmime in their own external-*.ts files)
// and bounced recipients (in external-bounce-sets.ts). The sets are fetched
// outside the repo (licences; never copied in) and named by INLET_EXTERNAL_CORPUS or
// `npm run corpus -- --external=DIR`; each folder is `owner+name` holding the repository's files.
// Every set is split once into a tune half and a held-out half (fixed below, chosen before any rule
// changed): rules are tuned on the first, the second is only ever read for the report.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { prepareMessage } from '../../src/ingest/prepare.js';
import { decodeUnknownBytes } from '../../src/ingest/stages/header-charset.js';
import { splitUuencodedFiles } from '../../src/ingest/stages/uudecode.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { bounceSets } from './external-bounce-sets.js';
import { enmimeSet } from './external-enmime.js';
import { phpMimeSets } from './external-mime-sets.js';
import { mime4jSet } from './external-mime4j.js';
import {
  freshReplySets,
  pythonReplySets,
  replyTrimmer,
  round4ReplySets,
} from './external-reply-sets.js';
import { type FieldScore, type Role, score, type SetReport, ws } from './external-score.js';
import { spamscopeSet } from './external-spamscope.js';

export type { FieldScore, Role, SetReport } from './external-score.js';

// Reviewed divergences from stalwartlabs/mail-parser's expectations (each checked by hand).
const REPLACEMENT_KEPT =
  'the project keeps undecodable 8-bit bytes as U+FFFD; Inlet decodes them with the declared or likeliest charset';
/** Expected text with U+FFFD where ours has a real character is that convention, nothing else. */
const sameButReplacement = (expected: string, got: string): boolean =>
  expected.includes('\uFFFD') &&
  !got.includes('\uFFFD') &&
  new RegExp(
    `^${expected
      .split('\uFFFD')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.{1,2}')}$`,
    'u',
  ).test(got);
const INVALID_BASE64 = new Set(['rfc/000.eml']);
const UUENCODE_IN_BODY =
  'the project keeps files uuencoded into a plain body as text; Inlet lifts them out as attachments, as mail clients and zbateson/mail-mime-parser do';

type Json = Record<string, unknown>;
interface StalwartPart {
  headers: { name: string | { other: string }; value: Json }[];
  body: Json;
}

const headerValue = (p: StalwartPart, name: string): Json | undefined =>
  p.headers.find((h) => h.name === name)?.value;
function attribute(p: StalwartPart, header: string, key: string): string | null {
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
const partSize = (p: StalwartPart): number | null => {
  const [kind, v] = Object.entries(p.body)[0] ?? [];
  if (kind === 'Binary' || kind === 'InlineBinary') return (v as number[]).length;
  if (kind === 'Text' || kind === 'Html') return Buffer.byteLength(String(v), 'utf8');
  return null;
};

// stalwartlabs/mail-parser: resources/eml/<group>/N.eml with N.json (its parsed Message).
async function mimeGolden(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'stalwartlabs+mail-parser/resources/eml');
  if (!existsSync(base)) return null;
  const groups = role === 'tune' ? ['legacy', 'rfc'] : ['thirdparty', 'malformed'];
  const fields: Record<string, FieldScore> = {};
  let cases = 0;
  for (const g of groups) {
    for (const n of readdirSync(path.join(base, g))
      .filter((f) => f.endsWith('.eml'))
      .sort()) {
      const id = `${g}/${n}`;
      const emlBytes = readFileSync(path.join(base, g, n));
      // The project keeps one expectation per line-ending form: *.crlf.json describes CRLF input.
      const crlf = emlBytes.includes('\r\n');
      const json = path.join(base, g, n.replace(/\.eml$/, crlf ? '.crlf.json' : '.json'));
      if (!existsSync(json)) continue;
      cases++;
      const exp = JSON.parse(readFileSync(json, 'utf8')) as {
        text_body: number[];
        attachments: number[];
        parts: StalwartPart[];
      };
      let got;
      try {
        got = await prepareMessage(emlBytes, defaultIngestLimits);
      } catch (e) {
        for (const f of [
          'subject',
          'from',
          'text',
          'attachment count',
          'attachment names',
          'attachment sizes',
        ])
          score(fields, f, false, id, `threw ${(e as Error).message}`);
        continue;
      }
      const top = exp.parts[0]!;
      const subject = (headerValue(top, 'subject')?.Text as string | undefined) ?? '';
      score(
        fields,
        'subject',
        ws(subject) === ws(got.parsed.subject),
        id,
        `expected ${JSON.stringify(subject)} got ${JSON.stringify(got.parsed.subject)}`,
        sameButReplacement(ws(subject), ws(got.parsed.subject)) ? REPLACEMENT_KEPT : null,
      );
      const fromList =
        ((headerValue(top, 'from')?.Address as Json | undefined)?.List as
          { address?: string }[] | undefined) ?? [];
      const from = (fromList[0]?.address ?? '').toLowerCase();
      const gotFrom = (got.parsed.from?.address ?? '').toLowerCase();
      const bareWord =
        !from.includes('@') && gotFrom === ''
          ? 'a bare word in From is no sender address (Inlet keeps it as the name; issue #16)'
          : null;
      if (from)
        score(fields, 'from', from === gotFrom, id, `expected ${from} got ${gotFrom}`, bareWord);
      const bodies = exp.text_body.map((i) => exp.parts[i]!.body);
      // Files uuencoded into the body: the project keeps them in the text, Inlet lifts them out.
      const wantText = bodies.map((b) => String(b.Text ?? '')).join('\n');
      const uu = splitUuencodedFiles(wantText.replace(/\r\n/g, '\n'));
      if (bodies.length > 0 && bodies.every((b) => 'Text' in b)) {
        const want = ws(wantText);
        score(
          fields,
          'text',
          want === ws(got.text ?? ''),
          id,
          `expected ${JSON.stringify(want.slice(0, 60))} got ${JSON.stringify(ws(got.text ?? '').slice(0, 60))}`,
          uu && ws(uu.text) === ws(got.text ?? '')
            ? UUENCODE_IN_BODY
            : sameButReplacement(want, ws(got.text ?? ''))
              ? REPLACEMENT_KEPT
              : null,
        );
      }
      const atts = exp.attachments.map((i) => exp.parts[i]!);
      score(
        fields,
        'attachment count',
        atts.length === got.attachments.length,
        id,
        `expected ${atts.length} got ${got.attachments.length}`,
        uu && atts.length + uu.files.length === got.attachments.length ? UUENCODE_IN_BODY : null,
      );
      const names = atts
        .map(
          (p) =>
            attribute(p, 'content_disposition', 'filename') ?? attribute(p, 'content_type', 'name'),
        )
        .filter((x): x is string => x !== null);
      for (const name of names) {
        const base = name.split(/[/\\]/).at(-1)!;
        const divergence = got.attachments.some((a) => sameButReplacement(name, a.filename))
          ? REPLACEMENT_KEPT
          : base !== name && got.attachments.some((a) => a.filename === base)
            ? 'a path in a filename is cut to its last segment (security.md: names are display data)'
            : null;
        score(
          fields,
          'attachment names',
          got.attachments.some((a) => a.filename === name),
          id,
          `missing ${name}`,
          divergence,
        );
      }
      for (const p of atts) {
        const size = partSize(p);
        // A text part is reported as decoded UTF-8 text; ours keeps the bytes as sent, so a text
        // attachment also matches when its bytes decoded to UTF-8 have that length.
        const text = 'Text' in p.body || 'Html' in p.body;
        const matches = (a: { size: number; content: Buffer }) =>
          a.size === size ||
          (text && Buffer.byteLength(decodeUnknownBytes(a.content).text, 'utf8') === size);
        const cte = String(headerValue(p, 'content_transfer_encoding')?.Text ?? '').toLowerCase();
        const divergence = cte.includes('uuencode')
          ? 'Inlet decodes x-uuencode; the project keeps the encoded text'
          : INVALID_BASE64.has(id)
            ? 'the part holds prose, not base64: any decoded size is a guess'
            : null;
        if (size !== null)
          score(
            fields,
            'attachment sizes',
            got.attachments.some(matches),
            id,
            `no attachment of ${size} bytes (${got.attachments.map((a) => a.size).join(',')})`,
            divergence,
          );
      }
    }
  }
  return { set: 'stalwartlabs/mail-parser', role, cases, fields };
}

/** Every set found under `root`, tune halves first. flufl.bounce tunes; BounceParser is held out whole. */
export async function runExternalSets(root: string): Promise<SetReport[]> {
  const out: SetReport[] = [];
  for (const role of ['tune', 'held-out'] as const) {
    for (const r of [replyTrimmer(root, role), await mimeGolden(root, role)]) {
      if (r && r.cases > 0) out.push(r);
    }
    out.push(...(await bounceSets(root, role)));
    out.push(...(await phpMimeSets(root, role)));
    const spamscope = await spamscopeSet(root, role);
    if (spamscope && spamscope.cases > 0) out.push(spamscope);
    const mime4j = await mime4jSet(root, role);
    if (mime4j && mime4j.cases > 0) out.push(mime4j);
    const enmime = await enmimeSet(root, role);
    if (enmime && enmime.cases > 0) out.push(enmime);
    if (role === 'tune') out.push(...pythonReplySets(root));
    out.push(...freshReplySets(root, role));
    out.push(...(await round4ReplySets(root, role)));
  }
  return out;
}

/**
 * The table, reviewed divergences, and up to `misses` misses per field of the tune halves; misses
 * of held-out halves only with `heldOutMisses` (reading them while tuning would make them tune sets).
 */
export function formatExternal(reports: SetReport[], misses = 0, heldOutMisses = false): string {
  const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
  const lines = [
    '',
    'External sets (own expectations of each project; tune halves shaped the rules, held-out halves did not; "adjusted" leaves out the reviewed divergences listed below)',
    '| set | role | field | pass | total | raw % | divergent | adjusted % |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of reports) {
    for (const [name, f] of Object.entries(r.fields))
      lines.push(
        `| ${r.set} | ${r.role} | ${name} | ${f.pass} | ${f.total} | ${pct(f.pass, f.total)} | ${f.divergent.length} | ${pct(f.pass, f.total - f.divergent.length)} |`,
      );
  }
  // A reason shared by more than ten cases (web-ridge's combinations) is listed once with a count.
  const divergences = reports.flatMap((r) =>
    Object.entries(r.fields).flatMap(([name, f]) => {
      const byReason = new Map<string, string[]>();
      for (const d of f.divergent) {
        const reason = d.slice(d.indexOf(': ') + 2);
        byReason.set(reason, [...(byReason.get(reason) ?? []), d]);
      }
      return [...byReason].flatMap(([reason, ds]) =>
        ds.length > 10
          ? [`  ${r.set} ${r.role} ${name}: ${ds.length} cases: ${reason}`]
          : ds.map((d) => `  ${r.set} ${name}: ${d}`),
      );
    }),
  );
  if (divergences.length) lines.push('', 'Reviewed divergences:', ...divergences);
  if (misses > 0)
    for (const r of reports.filter((x) => x.role === 'tune' || heldOutMisses))
      for (const [name, f] of Object.entries(r.fields))
        for (const m of f.misses.slice(0, misses)) lines.push(`  ${r.set} ${r.role} ${name}: ${m}`);
  return lines.join('\n');
}
