// MIME sets whose expectations live in PHP tests: php-mime-mail-parser (ParserTest::provideData:
// subject, from, text as an exact match or a substring count, and each attachment's name and size
// on disk) and zbateson/mail-mime-parser (EmailFunctionalTest's runEmailTest calls: subject, from,
// text and HTML compared with its files/ originals ignoring whitespace, attachment count and each
// named attachment's content). Both are split in halves like the other sets (external-score.ts).
// HTML in php-mime-mail-parser is asserted as raw markup; Inlet stores sanitised HTML, so only the
// zbateson HTML check (tags stripped, entities decoded) is scored.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { type PreparedMessage, prepareMessage } from '../../src/ingest/prepare.js';
import { defaultIngestLimits } from '../../src/ingest/types.js';
import { type FieldScore, half, type Role, score, type SetReport, ws } from './external-score.js';
import { type PhpArray, phpKey, PhpReader, type PhpValue } from './php-literal.js';

// Reviewed divergences (each checked by hand on the mail; the rules below name the class, not files).
const NONAME =
  "the part names no file: the project makes up 'nonameN', Inlet its own fallback name from the type";
const SIGNATURE_LISTED =
  'the project leaves the signature of multipart/signed out of its attachments; Inlet lists it (signature.asc, smime.p7s) so it can be downloaded and checked';
const ALL_INLINE_PARTS =
  "the project's HTML is the first text/html part; Inlet's shows every inline part in order (issue #16 class 4), so a plain piece after it is there too";
const isSignature = (type: string) => /^application\/(x-)?(pgp|pkcs7)-signature$/.test(type);

const list = (v: PhpValue): PhpValue[] => (v && typeof v === 'object' ? v.list : []);
const str = (v: PhpValue): string => (typeof v === 'string' ? v : '');

async function prepare(file: string): Promise<PreparedMessage | Error> {
  try {
    return await prepareMessage(readFileSync(file), defaultIngestLimits);
  } catch (e) {
    return e as Error;
  }
}

/** A parsed mail's subject (when the project states one) and sender address. */
function scoreHeaders(
  fields: Record<string, FieldScore>,
  id: string,
  got: PreparedMessage,
  subject: PhpValue,
  from: string,
): void {
  score(fields, 'parsed', true, id);
  if (typeof subject === 'string')
    score(
      fields,
      'subject',
      subject === got.parsed.subject,
      id,
      `expected ${JSON.stringify(subject)} got ${JSON.stringify(got.parsed.subject)}`,
    );
  const want = from.toLowerCase();
  const gotFrom = (got.parsed.from?.address ?? '').toLowerCase();
  if (want) score(fields, 'from', want === gotFrom, id, `expected ${want} got ${gotFrom}`);
}

const occurrences = (hay: string, needle: string): number =>
  needle === '' ? 0 : hay.split(needle).length - 1;

/** The rows of php-mime-mail-parser's provideData, one per mail. */
function phpRows(testFile: string): PhpArray[] {
  const src = readFileSync(testFile, 'utf8');
  const start = src.indexOf('$data = array(', src.indexOf('function provideData'));
  if (start < 0) return [];
  const data = new PhpReader(src, start + '$data = '.length).value();
  return list(data).filter((r): r is PhpArray => !!r && typeof r === 'object');
}

async function phpMimeMailParser(root: string, role: Role): Promise<SetReport | null> {
  const dir = path.join(root, 'php-mime-mail-parser+php-mime-mail-parser/tests');
  if (!existsSync(path.join(dir, 'ParserTest.php'))) return null;
  const rows = half(
    phpRows(path.join(dir, 'ParserTest.php'))
      .filter((r) => existsSync(path.join(dir, 'mails', str(r.list[0]!))))
      .sort((a, b) => str(a.list[0]!).localeCompare(str(b.list[0]!))),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const r of rows) {
    const [id, subject, from, , , , text, , atts] = r.list as [
      string,
      string,
      PhpValue,
      ...PhpValue[],
    ];
    const got = await prepare(path.join(dir, 'mails', id));
    if (got instanceof Error) {
      score(fields, 'parsed', false, id, `threw ${got.message}`);
      continue;
    }
    scoreHeaders(fields, id, got, subject, str(phpKey(list(from)[0], 'address')));
    const [mode, a, b] = list(text);
    const body = got.text ?? '';
    if (mode === 'MATCH')
      score(
        fields,
        'text',
        ws(str(a)) === ws(body),
        id,
        `expected ${JSON.stringify(ws(str(a)).slice(0, 60))} got ${JSON.stringify(ws(body).slice(0, 60))}`,
      );
    else if (mode === 'COUNT')
      score(
        fields,
        'text',
        occurrences(body, str(b)) === a,
        id,
        `expected ${String(a)} of ${JSON.stringify(str(b))} got ${occurrences(body, str(b))}`,
      );
    const expected = list(atts).map((x) => list(x));
    score(
      fields,
      'attachment count',
      expected.length === got.attachments.length,
      id,
      `expected ${expected.length} got ${got.attachments.length}`,
    );
    for (const [name, size] of expected) {
      score(
        fields,
        'attachment names',
        got.attachments.some((x) => x.filename === name),
        id,
        `missing ${str(name)} (${got.attachments.map((x) => x.filename).join(', ')})`,
        /^noname\d*$/.test(str(name)) && expected.length === got.attachments.length ? NONAME : null,
      );
      // Size on disk after the project saved it: the decoded bytes.
      score(
        fields,
        'attachment sizes',
        got.attachments.some((x) => x.size === size),
        id,
        `no attachment of ${String(size)} bytes (${got.attachments.map((x) => x.size).join(',')})`,
      );
    }
  }
  return { set: 'php-mime-mail-parser', role, cases: rows.length, fields };
}

/** zbateson's runEmailTest('<mail>', [props]) calls, by mail name. */
function zbatesonCases(testFile: string): [string, PhpArray][] {
  // Tests the project has commented out (m1011, m3005, ...) are not expectations.
  const src = readFileSync(testFile, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const out: [string, PhpArray][] = [];
  for (const m of src.matchAll(/\$this->runEmailTest\('([\w-]+)',\s*(?=\[)/g)) {
    const v = new PhpReader(src, m.index + m[0].length).value();
    if (v && typeof v === 'object') out.push([m[1]!, v]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

const latin1File = (file: string) => readFileSync(file).toString('latin1');
const stripTags = (html: string) =>
  html
    .replace(/<(style|script)[\s\S]*?<\/\1>/gi, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');

async function zbateson(root: string, role: Role): Promise<SetReport | null> {
  const base = path.join(root, 'zbateson+mail-mime-parser/tests');
  const testFile = path.join(base, 'MailMimeParser/IntegrationTests/EmailFunctionalTest.php');
  if (!existsSync(testFile)) return null;
  const mails = path.join(base, '_data/emails');
  const cases = half(
    zbatesonCases(testFile).filter(([id]) => existsSync(path.join(mails, `${id}.txt`))),
    role,
  );
  const fields: Record<string, FieldScore> = {};
  for (const [id, props] of cases) {
    const got = await prepare(path.join(mails, `${id}.txt`));
    if (got instanceof Error) {
      score(fields, 'parsed', false, id, `threw ${got.message}`);
      continue;
    }
    scoreHeaders(
      fields,
      id,
      got,
      phpKey(props, 'Subject'),
      str(phpKey(phpKey(props, 'From'), 'email')),
    );
    const text = str(phpKey(props, 'text'));
    if (text) {
      const want = ws(latin1File(path.join(mails, 'files', text)));
      const body = ws(got.text ?? '');
      score(
        fields,
        'text',
        want === body,
        id,
        `expected ${JSON.stringify(want.slice(0, 60))} got ${JSON.stringify(body.slice(0, 60))}`,
      );
    }
    const html = str(phpKey(props, 'html'));
    if (html) {
      const want = ws(latin1File(path.join(mails, 'files', html)));
      const shown = ws(stripTags(got.html ?? ''));
      const rest = shown.startsWith(want) ? shown.slice(want.length).trim() : null;
      score(
        fields,
        'html',
        want === shown,
        id,
        `expected ${JSON.stringify(want.slice(0, 60))} got ${JSON.stringify(shown.slice(0, 60))}`,
        // The rest must be a later piece of the mail as sent (a plain part), not something made up.
        rest && ws(readFileSync(path.join(mails, `${id}.txt`), 'latin1')).includes(rest)
          ? ALL_INLINE_PARTS
          : null,
      );
    }
    const count = phpKey(props, 'attachments');
    if (typeof count === 'number') {
      const signatures = got.attachments.filter((a) => isSignature(a.declaredType)).length;
      score(
        fields,
        'attachment count',
        count === got.attachments.length,
        id,
        `expected ${count} got ${got.attachments.length}`,
        signatures > 0 && count === got.attachments.length - signatures ? SIGNATURE_LISTED : null,
      );
      // Each attachment named like one of the originals in files/ holds that file: bytes for a
      // binary part, the text (ignoring whitespace) for a text part, as the project's test checks.
      for (const a of got.attachments) {
        const original = path.join(mails, 'files', a.filename);
        if (!a.filename || !existsSync(original)) continue;
        const same = a.declaredType.startsWith('text/')
          ? ws(a.content.toString('latin1')) === ws(latin1File(original)) ||
            ws(a.content.toString('utf8')) === ws(readFileSync(original, 'utf8'))
          : a.content.equals(readFileSync(original));
        score(
          fields,
          'attachment content',
          same,
          id,
          `${a.filename}: ${a.size} bytes, original ${readFileSync(original).length}`,
        );
      }
    }
  }
  return { set: 'zbateson/mail-mime-parser', role, cases: cases.length, fields };
}

/** The PHP-test MIME sets found under `root`, for one half. */
export async function phpMimeSets(root: string, role: Role): Promise<SetReport[]> {
  const out: SetReport[] = [];
  for (const r of [await phpMimeMailParser(root, role), await zbateson(root, role)])
    if (r && r.cases > 0) out.push(r);
  return out;
}
