import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { findCorpus, listMessageFiles } from '../../../test/corpus/run-corpus.js';
import { defaultIngestLimits } from '../types.js';
import { exceedsHtmlDepth, htmlNestingDepth, MAX_HTML_DEPTH } from './html-depth.js';
import { parseMessage } from './parse.js';

// The parser sanitize-html runs, used as the reference: its stacks are private, read through a cast.
const fromSanitizer = createRequire(createRequire(import.meta.url).resolve('sanitize-html'));
const { Parser } = fromSanitizer('htmlparser2') as {
  Parser: new (cbs: object, opts: object) => ParserLike;
};
interface ParserLike {
  stack: string[];
  foreignContext: boolean[];
  write(s: string): void;
  end(): void;
}

function parserDepth(html: string): number {
  let max = 0;
  const parser: ParserLike = new Parser(
    {
      onopentagname: () => note(),
      onopentag: () => note(),
      onclosetag: () => note(),
      ontext: () => note(),
    },
    { decodeEntities: true },
  );
  function note() {
    max = Math.max(max, parser.stack.length, parser.foreignContext.length - 1);
  }
  parser.write(html);
  parser.end();
  return max;
}

describe('htmlNestingDepth', () => {
  it('counts open elements, not void ones', () => {
    expect(htmlNestingDepth('<div><p><b>x</b></p></div>')).toBe(3);
    expect(htmlNestingDepth('<br><img src=x><hr><wbr>text')).toBe(0);
    expect(htmlNestingDepth('<div>'.repeat(50) + 'x')).toBe(50);
  });

  it('applies the implied end tags mail HTML relies on', () => {
    expect(htmlNestingDepth('<p>a<p>b<p>c<p>d')).toBe(1);
    expect(htmlNestingDepth('<ul><li>a<li>b<li>c</ul>')).toBe(2);
    expect(htmlNestingDepth('<table><tr><td>a<td>b<tr><td>c</table>')).toBe(3);
    expect(htmlNestingDepth('<table><tr><td>'.repeat(20))).toBe(60);
  });

  it('closes up to the nearest matching open element and ignores end tags with none', () => {
    expect(htmlNestingDepth('<div><span><b><i></div><div>x')).toBe(4);
    expect(htmlNestingDepth('</span><div></span><div></span><div>')).toBe(3);
    expect(htmlNestingDepth('<a href="x">'.repeat(10) + '</a>'.repeat(10) + '<a>')).toBe(10);
  });

  it('does not count tags inside comments or raw-text elements', () => {
    expect(htmlNestingDepth('<!-- <div><div><div> -->x')).toBe(0);
    expect(htmlNestingDepth('<script><div><div><div></script>')).toBe(1);
    expect(htmlNestingDepth('<textarea><div><div></textarea>')).toBe(1);
  });

  it('counts the foreign-content stack, which can grow while the element stack stays flat', () => {
    expect(htmlNestingDepth('<div><svg></div>'.repeat(30))).toBe(30);
    expect(parserDepth('<div><svg></div>'.repeat(30))).toBe(30);
  });

  it('stops as soon as the depth passes the bound', () => {
    expect(htmlNestingDepth('<div>'.repeat(100), 10)).toBe(11);
    expect(htmlNestingDepth('<div>'.repeat(10), 10)).toBe(10);
  });

  it('tells whether a body passes a bound, however few or many tags it has', () => {
    expect(exceedsHtmlDepth('<div>'.repeat(10), 10)).toBe(false);
    expect(exceedsHtmlDepth('<div>'.repeat(11), 10)).toBe(true);
    expect(exceedsHtmlDepth('<p>x'.repeat(500), 10)).toBe(false);
    expect(exceedsHtmlDepth('<br>'.repeat(5) + '<div><svg></div>'.repeat(11), 10)).toBe(true);
  });

  it('agrees with the stacks of the htmlparser2 Parser sanitize-html uses, on random tag soup', () => {
    const names = [
      'div',
      'p',
      'li',
      'ul',
      'td',
      'tr',
      'table',
      'tbody',
      'br',
      'img',
      'svg',
      'math',
      'mi',
      'title',
      'a',
      'b',
      'dd',
      'dt',
      'option',
      'select',
      'script',
      'style',
      'textarea',
      'h1',
      'hr',
      'input',
      'foreignObject',
      'desc',
      'rt',
      'rp',
      'body',
      'head',
      'DIV',
    ];
    const piece = fc.oneof(
      fc.constantFrom(...names).map((n) => `<${n}>`),
      fc.constantFrom(...names).map((n) => `</${n}>`),
      fc.constantFrom(...names).map((n) => `<${n}/>`),
      fc.constantFrom(
        'x',
        ' ',
        '<',
        '>',
        '"',
        "'",
        '<!--',
        '-->',
        '<![CDATA[',
        ']]>',
        '<!doctype html>',
        '<?x?>',
        '&amp;',
        '<a href="<div>">',
        "<b title='>'>",
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), (pieces) => {
        const html = pieces.join('');
        expect(htmlNestingDepth(html)).toBe(parserDepth(html));
      }),
      { numRuns: 3000 },
    );
  });
});

const corpus = findCorpus();

describe.skipIf('skip' in corpus)(
  'htmlNestingDepth on the corpus (skipped: ../shared/corpus not found)',
  () => {
    it('agrees with the Parser on every HTML body and refuses none of them', async () => {
      const depths: number[] = [];
      for (const f of 'dir' in corpus ? listMessageFiles(corpus.dir) : []) {
        const parsed = await parseMessage(readFileSync(f.abs), defaultIngestLimits).catch(
          () => null,
        );
        if (!parsed?.html) continue;
        const depth = htmlNestingDepth(parsed.html);
        expect(depth, f.rel).toBe(parserDepth(parsed.html));
        depths.push(depth);
      }
      expect(depths.length).toBeGreaterThan(100);
      // Real mail stays an order of magnitude below the bound, so the bound refuses only contrived bodies.
      expect(Math.max(...depths)).toBeLessThan(MAX_HTML_DEPTH / 10);
    }, 120_000);
  },
);
