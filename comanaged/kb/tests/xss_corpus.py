"""Hostile Markdown and HTML for the knowledge base's renderer (``kb.markdown``), shared by the
unit test (``kb/tests/test_markdown.py``) and the browser test (``tests/e2e/test_kb_xss.py``).

Each payload carries ``XSSN``, replaced by its own number, so whatever fires says which payload
it was: ``alert(XSSN)`` opens a dialog, ``__xss(XSSN)`` calls the trap the browser test installs
(``top.__xss`` from inside a frame). A few cannot carry the number (base64, fully encoded
schemes): they ``alert(1)``, and any dialog at all fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass

MARK = "XSSN"
FIRST = 1001  # numbers nothing else on a page is likely to alert

# (label, payload): the label names the technique in test ids and failure messages.
CORPUS: list[tuple[str, str]] = [
    # --- classic HTML ---------------------------------------------------------------------------
    ("script", "<script>alert(XSSN)</script>"),
    ("script-src-data", '<script src="data:text/javascript,alert(XSSN)"></script>'),
    ("script-uppercase", "<SCRIPT>__xss(XSSN)</SCRIPT>"),
    ("script-split", "<scr<script>ipt>alert(XSSN)</scr</script>ipt>"),
    ("img-onerror", "<img src=x onerror=alert(XSSN)>"),
    ("img-onerror-quoted-local", '<img src="/x.png" onerror="__xss(XSSN)">'),
    ("img-slashes", "<img/src/onerror=alert(XSSN)>"),
    ("img-backtick", "<img src=`x` onerror=alert(XSSN)>"),
    ("img-javascript-src", "<IMG SRC=JaVaScRiPt:alert(XSSN)>"),
    ("img-srcset", "<img srcset=x onerror=alert(XSSN)>"),
    ("img-tab-in-path", '<img src="/&#9;/evil.example/beacon.png?XSSN" onerror=alert(XSSN)>'),
    ("img-newline-in-path", '<img src="/&#10;/evil.example/beacon.png?XSSN">'),
    ("img-alt-breakout", '<img src="/x" alt="</p><script>alert(XSSN)</script>">'),
    ("svg-onload", "<svg onload=alert(XSSN)>"),
    ("svg-slash-onload", "<svg/onload=__xss(XSSN)>"),
    ("svg-script", "<svg><script>alert(XSSN)</script></svg>"),
    ("svg-animate", "<svg><animate onbegin=alert(XSSN) attributeName=x dur=1s>"),
    ("svg-set", "<svg><set attributeName=onmouseover to=alert(XSSN)></set></svg>"),
    ("svg-xlink", '<svg><a xlink:href="javascript:alert(XSSN)"><text x=20 y=20>x</text></a></svg>'),
    ("body-onload", "<body onload=alert(XSSN)>"),
    ("details-ontoggle", "<details open ontoggle=alert(XSSN)><summary>x</summary></details>"),
    ("input-autofocus", "<input autofocus onfocus=alert(XSSN)>"),
    ("select-autofocus", "<select autofocus onfocus=__xss(XSSN)></select>"),
    ("textarea-autofocus", "<textarea autofocus onfocus=alert(XSSN)></textarea>"),
    ("marquee-onstart", "<marquee onstart=alert(XSSN)>x</marquee>"),
    ("video-source-onerror", '<video><source onerror="alert(XSSN)"></video>'),
    ("audio-onerror", "<audio src=x onerror=alert(XSSN)>"),
    ("click-overlay", "<div onclick=alert(XSSN) style=position:fixed;inset:0>click</div>"),
    # --- frames, objects and document-level elements ---------------------------------------------
    ("iframe-javascript", '<iframe src="javascript:alert(XSSN)"></iframe>'),
    ("iframe-srcdoc-script", '<iframe srcdoc="<script>parent.alert(XSSN)</script>"></iframe>'),
    ("iframe-srcdoc-encoded", '<iframe srcdoc="&lt;img src=x onerror=top.__xss(XSSN)&gt;"></iframe>'),
    ("iframe-data", '<iframe src="data:text/html,<script>alert(XSSN)</script>"></iframe>'),
    ("object-javascript", '<object data="javascript:alert(XSSN)"></object>'),
    ("object-data-html", '<object data="data:text/html,<script>alert(XSSN)</script>"></object>'),
    ("embed-javascript", '<embed src="javascript:alert(XSSN)">'),
    ("embed-base64", '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">'),
    ("base-javascript", '<base href="javascript:alert(XSSN)//">'),
    ("base-foreign", '<base href="//evil.example/XSSN/">'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(XSSN)">'),
    ("meta-refresh-data", '<meta http-equiv="refresh" content="0;url=data:text/html,<script>alert(XSSN)</script>">'),
    ("link-import", '<link rel="stylesheet" href="javascript:alert(XSSN)">'),
    ("form-action", '<form action="javascript:alert(XSSN)"><button id=x>go</button></form>'),
    ("button-formaction", '<form><button formaction="javascript:alert(XSSN)">x</button></form>'),
    ("isindex", "<isindex action=javascript:alert(XSSN) type=image>"),
    ("template", "<template><img src=x onerror=alert(XSSN)></template>"),
    ("table-background", '<table background="javascript:alert(XSSN)"><tr><td>x</td></tr></table>'),
    # --- CSS ---------------------------------------------------------------------------------------
    ("style-import", "<style>@import 'javascript:alert(XSSN)';</style>"),
    ("style-url", '<style>*{background:url("javascript:alert(XSSN)")}</style>'),
    ("css-expression", '<div style="width:expression(alert(XSSN))">x</div>'),
    ("css-url-attribute", '<div style="background:url(javascript:alert(XSSN))">x</div>'),
    # --- mutation XSS and parser confusion ---------------------------------------------------------
    ("math-mglyph-style", "<math><mtext><table><mglyph><style><img src=x onerror=alert(XSSN)>"),
    ("math-style", "<math><mi><style><img src=x onerror=alert(XSSN)></style></mi></math>"),
    ("svg-style", "<svg><style><img src=x onerror=alert(XSSN)></style></svg>"),
    ("noscript-title", '<noscript><p title="</noscript><img src=x onerror=alert(XSSN)>">'),
    ("xmp", "<xmp><img src=x onerror=alert(XSSN)></xmp>"),
    ("plaintext", "<plaintext><img src=x onerror=alert(XSSN)>"),
    ("comment-close-in-attr", '<!--<img src="--><img src=x onerror=alert(XSSN)//">'),
    ("comment-bang-close", "<!-- --!><img src=x onerror=alert(XSSN)> -->"),
    ("cdata", "<![CDATA[><img src=x onerror=alert(XSSN)>]]>"),
    ("processing-instruction", "<?xml-stylesheet ?><img src=x onerror=alert(XSSN)>"),
    ("title-breakout", "</title><script>alert(XSSN)</script>"),
    ("textarea-breakout", "</textarea><script>alert(XSSN)</script>"),
    ("attribute-breakout-double", '"><script>alert(XSSN)</script>'),
    ("attribute-breakout-single", "'><img src=x onerror=alert(XSSN)>"),
    # --- HTML links --------------------------------------------------------------------------------
    ("a-javascript", '<a href="javascript:alert(XSSN)">x</a>'),
    ("a-entity-j", '<a href="&#106;avascript:alert(XSSN)">x</a>'),
    ("a-hex-entities", '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(XSSN)">x</a>'),
    (
        "a-padded-decimal-entities",
        '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116'
        '&#0000058alert(XSSN)">x</a>',
    ),
    ("a-tab-entity", '<a href="jav&#x09;ascript:alert(XSSN)">x</a>'),
    ("a-control-prefix", '<a href=" &#14; javascript:alert(XSSN)">x</a>'),
    ("a-colon-entity", "<a href=javascript&colon;alert(XSSN)>x</a>"),
    ("a-data-html", '<a href="data:text/html,<script>alert(XSSN)</script>">x</a>'),
    ("a-vbscript", '<a href="vbscript:msgbox(XSSN)">x</a>'),
    ("blockquote-a", '> <a href="javascript:alert(XSSN)">quoted</a>'),
    # --- Markdown links and images -----------------------------------------------------------------
    ("md-javascript", "[x](javascript:alert(XSSN))"),
    ("md-mixed-case", "[x](JaVaScRiPt:alert(XSSN))"),
    ("md-entity-j", "[x](&#106;avascript:alert(XSSN))"),
    ("md-colon-entity", "[x](javascript&#58;alert(XSSN))"),
    ("md-colon-named", "[x](javascript&colon;alert(XSSN))"),
    ("md-tab-entity", "[x](java&#x09;script:alert(XSSN))"),
    ("md-tab-raw", "[x](<java\tscript:alert(XSSN)>)"),
    ("md-newline-split", "[x](<java\nscript:alert(XSSN)>)"),
    ("md-leading-space-entity", "[x](&#32;javascript:alert(XSSN))"),
    ("md-zero-width", "[x](\u200bjavascript:alert(XSSN))"),
    ("md-fullwidth", "[x](ｊａｖａｓｃｒｉｐｔ:alert(XSSN))"),
    ("md-nul", "[x](java\x00script:alert(XSSN))"),
    ("md-vbscript", "[x](vbscript:msgbox(XSSN))"),
    ("md-data-html", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md-autolink-javascript", "<javascript:alert(XSSN)>"),
    ("md-autolink-uppercase", "<JAVASCRIPT:alert(XSSN)>"),
    ("md-autolink-vbscript", "<vbscript:msgbox(XSSN)>"),
    ("md-autolink-data", "<data:text/html,<script>alert(XSSN)</script>>"),
    ("md-autolink-quote-breakout", '<https://example.com/"onmouseover="alert(XSSN)>'),
    ("md-link-quote-breakout", '[x](https://example.com/"onmouseover="alert(XSSN))'),
    ("md-link-title-breakout", '[x](/x "t\\" onmouseover=\\"alert(XSSN)")'),
    ("md-link-title-single", "[x](/x 't' onmouseover='alert(XSSN)')"),
    ("md-reference-javascript", "[x]\n\n[x]: javascript:alert(XSSN)"),
    ("md-reference-angle", '[x][ref]\n\n[ref]: <javascript:alert(XSSN)> "t"'),
    ("md-image-javascript", "![x](javascript:alert(XSSN))"),
    ("md-image-data-svg", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    ("md-image-onerror-title", '![x](/missing.png "onerror=alert(XSSN)")'),
    ("md-image-title-breakout", '![x](/missing.png "\\" onerror=\\"alert(XSSN)")'),
    ("md-image-alt-breakout", '![x" onerror="alert(XSSN)](/missing.png)'),
    ("md-image-reference-title", '![x][img]\n\n[img]: /missing.png "\\" onerror=alert(XSSN) x=\\""'),
    ("md-image-protocol-relative", "![x](//evil.example/beacon.png?XSSN)"),
    ("md-image-backslash", "![x](/\\evil.example/beacon.png?XSSN)"),
    ("md-image-tab-entity", "![x](/&#9;/evil.example/beacon.png?XSSN)"),
    ("md-html-in-link-text", "[<img src=x onerror=alert(XSSN)>](https://example.com)"),
    ("md-image-in-js-link", "[![x](/a.png)](javascript:alert(XSSN))"),
    ("md-bold-html", "**<img src=x onerror=alert(XSSN)>**"),
    ("md-code-span", "`<script>alert(XSSN)</script>`"),
    ("md-fence", "```html\n<script>alert(XSSN)</script>\n```"),
    ("md-fence-info-breakout", '```"><img src=x onerror=alert(XSSN)>\nx\n```'),
    ("md-table-cell", "| a |\n|---|\n| <img src=x onerror=alert(XSSN)> |"),
    ("md-table-align-style", "| a |\n|:-:|\n| x |\n\n<p style=x onmouseover=alert(XSSN)>"),
    ("md-setext-heading", "<img src=x onerror=alert(XSSN)>\n==="),
    ("md-html-block-markdown", "<div>\n\n[x](javascript:alert(XSSN))\n\n</div>"),
    ("md-entity-encoded-html", "&lt;script&gt;alert(XSSN)&lt;/script&gt;"),
    ("md-list-start", "XSSN. <img src=x onerror=alert(XSSN)>"),
    ("md-nested-quote-list", "> - [x](javascript:alert(XSSN))\n>   <svg onload=alert(XSSN)>"),
    # --- unicode tricks ----------------------------------------------------------------------------
    ("unicode-rtl-override", "\u202e<img src=x onerror=alert(XSSN)>\u202c"),
    ("unicode-fullwidth-tag", "＜script＞alert(XSSN)＜/script＞"),
    ("unicode-nbsp-scheme", "[x](\u00a0javascript:alert(XSSN))"),
    ("unicode-line-separator", "[x](\u2028javascript:alert(XSSN))"),
    ("unicode-combining", "<scri\u0307pt>alert(XSSN)</script>"),
]


@dataclass(frozen=True)
class Payload:
    number: int
    label: str
    text: str

    def __str__(self) -> str:
        return f"#{self.number} {self.label}"


def payloads() -> list[Payload]:
    return [Payload(FIRST + i, label, text.replace(MARK, str(FIRST + i))) for i, (label, text) in enumerate(CORPUS)]
