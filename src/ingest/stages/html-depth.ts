// How deep htmlparser2 — the parser inside sanitize-html — will nest a document, found in linear
// time before the sanitiser sees it. htmlparser2 keeps its open elements in an array it grows and
// shrinks at the front (unshift/shift) and searches with indexOf on every end tag, so each tag
// costs time proportional to the current depth: 100,000 nested <div>s take seconds, a 50 MB
// message minutes. sanitize-html's nestingLimit does not help, the parser's stack grows anyway.
// Mail clients nest a few dozen levels (the shared corpus peaks well below MAX_HTML_DEPTH), so a
// body deeper than that is refused rather than handed to a parser that would go quadratic on it.
//
// The walk uses htmlparser2's own tokenizer (the copy sanitize-html loads), so tags, comments and
// raw-text elements split exactly as they will in the sanitiser, and replays the Parser's stack
// rules (implied end tags, void elements, end tags that close to the nearest match, the foreign-
// content stack) with push/pop and a count per name, which keeps every step O(1) amortised.
// html-depth.test.ts checks the replay against the real Parser's stack on random tag soup.
import { createRequire } from 'node:module';

import type { Tokenizer as TokenizerClass } from 'htmlparser2';

type TokenizerCallbacks = ConstructorParameters<typeof TokenizerClass>[1];

// The htmlparser2 that sanitize-html itself resolves, not whichever copy sits at the top level.
const fromSanitizer = createRequire(createRequire(import.meta.url).resolve('sanitize-html'));
const { Tokenizer } = fromSanitizer('htmlparser2') as { Tokenizer: typeof TokenizerClass };

/**
 * Deepest nesting accepted for sanitising. The cost of a tag in htmlparser2 grows with the depth
 * it sits at, so this bounds the sanitiser's time per byte; it is far above what mail clients
 * produce (a reply chain quoted a hundred times over is still under it).
 */
export const MAX_HTML_DEPTH = 1000;

// htmlparser2 10.x Parser tables (src/Parser.ts). A tag missing here only makes the replay count
// deeper than the parser does, never shallower, except for implied end tags — the test guards those.
const pTag = ['p'];
const formTags = ['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea'];
export const OPEN_IMPLIES_CLOSE = new Map<string, ReadonlySet<string>>(
  Object.entries({
    tr: ['tr', 'th', 'td'],
    th: ['th'],
    td: ['thead', 'th', 'td'],
    body: ['head', 'link', 'script'],
    li: ['li'],
    p: pTag,
    h1: pTag,
    h2: pTag,
    h3: pTag,
    h4: pTag,
    h5: pTag,
    h6: pTag,
    select: formTags,
    input: formTags,
    output: formTags,
    button: formTags,
    datalist: formTags,
    textarea: formTags,
    option: ['option'],
    optgroup: ['optgroup', 'option'],
    dd: ['dd', 'dt'],
    dt: ['dd', 'dt'],
    address: pTag,
    article: pTag,
    aside: pTag,
    blockquote: pTag,
    details: pTag,
    div: pTag,
    dl: pTag,
    fieldset: pTag,
    figcaption: pTag,
    figure: pTag,
    footer: pTag,
    form: pTag,
    header: pTag,
    hr: pTag,
    main: pTag,
    nav: pTag,
    ol: pTag,
    pre: pTag,
    section: pTag,
    table: pTag,
    ul: pTag,
    rt: ['rt', 'rp'],
    rp: ['rt', 'rp'],
    tbody: ['thead', 'tbody'],
    tfoot: ['thead', 'tbody'],
  }).map(([k, v]) => [k, new Set(v)]),
);
export const VOID = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
const FOREIGN = new Set(['math', 'svg']);
const INTEGRATION = new Set([
  'mi',
  'mo',
  'mn',
  'ms',
  'mtext',
  'annotation-xml',
  'foreignobject',
  'desc',
  'title',
]);

/**
 * The largest size htmlparser2's open-element stack (or its foreign-content stack, which can grow
 * on its own; its root entry not counted) reaches while parsing `html` the way sanitize-html does. Stops early and returns a
 * value above `stopAbove` as soon as the depth passes it, so a refusal costs no more than the
 * part of the document read so far.
 */
export function htmlNestingDepth(html: string, stopAbove = Number.POSITIVE_INFINITY): number {
  const stack: string[] = [];
  const open = new Map<string, number>();
  // htmlparser2 starts its foreign-content stack with one entry (false = HTML) in HTML mode.
  const foreign: boolean[] = [false];
  let tagName = '';
  let max = 0;

  const push = (name: string) => {
    stack.push(name);
    open.set(name, (open.get(name) ?? 0) + 1);
  };
  const pop = () => {
    const name = stack.pop()!;
    open.set(name, open.get(name)! - 1);
    return name;
  };
  const note = () => {
    const d = Math.max(stack.length, foreign.length - 1);
    if (d > max) max = d;
    if (max > stopAbove) tokenizer.pause();
  };
  const openTag = (name: string) => {
    tagName = name;
    const implied = OPEN_IMPLIES_CLOSE.get(name);
    if (implied) while (stack.length > 0 && implied.has(stack[stack.length - 1]!)) pop();
    if (VOID.has(name)) return;
    push(name);
    if (FOREIGN.has(name)) foreign.push(true);
    else if (INTEGRATION.has(name)) foreign.push(false);
    note();
  };
  const noop = () => undefined;
  const cbs: TokenizerCallbacks = {
    onopentagname: (start, end) => openTag(html.slice(start, end).toLowerCase()),
    onopentagend: () => {
      tagName = '';
    },
    onselfclosingtag: () => {
      // Self-closing syntax counts only in foreign content (recognizeSelfClosing is off in HTML mode).
      if (foreign[foreign.length - 1] === true && stack[stack.length - 1] === tagName) pop();
      tagName = '';
    },
    onclosetag: (start, end) => {
      const name = html.slice(start, end).toLowerCase();
      if (FOREIGN.has(name) || INTEGRATION.has(name)) foreign.pop();
      // An end tag closes everything above its nearest open match; one with no open match changes
      // nothing, except that a stray `</p>` opens and closes an empty p (one level, for a moment).
      if (VOID.has(name)) return;
      if ((open.get(name) ?? 0) > 0) while (pop() !== name);
      else if (name === 'p') {
        openTag('p');
        pop();
        tagName = '';
      }
    },
    onattribdata: noop,
    onattribentity: noop,
    onattribend: noop,
    onattribname: noop,
    oncdata: noop,
    oncomment: noop,
    ondeclaration: noop,
    onend: noop,
    onprocessinginstruction: noop,
    ontext: noop,
    ontextentity: noop,
  };
  // The options sanitize-html gives its Parser (htmlParserDefaults), which passes them on here.
  const tokenizer = new Tokenizer({ decodeEntities: true, xmlMode: false }, cbs);
  tokenizer.write(html);
  if (max <= stopAbove) tokenizer.end();
  return max;
}

/** Whether htmlparser2 would nest `html` deeper than `limit` (see htmlNestingDepth). */
export function exceedsHtmlDepth(html: string, limit: number): boolean {
  // Every level needs an open tag and every open tag a '<': a body with few of them is shallow,
  // and most mail is answered by this count alone, without tokenizing it.
  let lt = 0;
  for (let i = html.indexOf('<'); i !== -1 && lt <= limit; i = html.indexOf('<', i + 1)) lt++;
  return lt > limit && htmlNestingDepth(html, limit) > limit;
}
