"""Knowledge-base Markdown (R34): what it renders, and that no hostile payload survives the
sanitizer — through ``render`` (Markdown, raw HTML shown as text), through ``clean_html`` alone
(as if raw HTML reached it), and through a parser with raw HTML switched on (as if someone
enabled it one day). The browser test (``tests/e2e/test_kb_xss.py``) runs the same corpus."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt

from comanaged.kb.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, clean_html, plain_text, render
from comanaged.kb.tests.xss_corpus import CORPUS, payloads

pytestmark = pytest.mark.nodb

REL = "noopener noreferrer nofollow"
LINK_SCHEMES = {"", "http", "https", "mailto"}
LOCAL_IMAGE = re.compile(r"/(?![/\\])[^\s\\]*")
BAD_SCHEME = re.compile(r"(javascript|vbscript|data|file):")
RAW_HTML = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes (entities decoded, as a browser would)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def normalised(url: str) -> str:
    """A URL the way a browser reads its scheme: no ASCII whitespace or control characters anywhere
    (tabs and newlines are dropped inside, the rest trimmed at the ends), lower case."""
    return "".join(ch for ch in url if ord(ch) > 0x20 and ch != "\x7f").lower()


def problems_in(html: str) -> list[str]:
    problems = []
    for tag, attrs in Elements(html).found:
        if tag not in ALLOWED_TAGS:
            problems.append(f"<{tag}> is not allowed")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs.items():
            if name.startswith("on") or name not in allowed:
                problems.append(f"<{tag} {name}={value!r}> is not allowed")
        if tag == "a":
            href = normalised(attrs.get("href") or "")
            if BAD_SCHEME.match(href) or urlsplit(href).scheme not in LINK_SCHEMES:
                problems.append(f"<a href={attrs['href']!r}>")
            if attrs.get("rel") != REL:
                problems.append(f"<a> without rel={REL!r}: {attrs}")
        if tag == "img" and "src" in attrs and not LOCAL_IMAGE.fullmatch(attrs["src"] or ""):
            problems.append(f"<img src={attrs['src']!r}> is not a path of this site")
    return problems


def test_the_corpus_is_large_and_labelled_once():
    assert len(CORPUS) >= 50
    assert len({label for label, _ in CORPUS}) == len(CORPUS)
    assert all("XSSN" in text or "alert(1)" in text or "PHN" in text for _, text in CORPUS)


@pytest.mark.parametrize("payload", payloads(), ids=str)
def test_r34_no_payload_survives_rendering_as_markup(payload):
    for stage, html in (
        ("render", str(render(payload.text))),
        ("clean_html", clean_html(payload.text)),
        ("raw HTML parser + clean_html", clean_html(RAW_HTML.render(payload.text))),
    ):
        assert problems_in(html) == [], f"{payload} via {stage}: {html!r}"
        assert not re.search(r"<\s*(script|iframe|object|embed|base|meta|style|svg|math|form)", html, re.I), html


def test_headings_paragraphs_emphasis_and_lists():
    html = render("# Title\n\n## Part *one*\n\nSome **bold**, _em_ and ~~gone~~.\n\n3. three\n4. four\n\n- a\n- b\n")
    assert "<h1>Title</h1>" in html and "<h2>Part <em>one</em></h2>" in html
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html and "<s>gone</s>" in html
    assert '<ol start="3">' in html and "<ul>\n<li>a</li>" in html


def test_tables_keep_their_column_alignment_without_styles():
    html = render("| Left | Right | Centre | None |\n|:--|--:|:-:|---|\n| 1 | 2 | 3 | 4 |\n")
    assert '<th align="left">Left</th>' in html and '<td align="right">2</td>' in html
    assert '<td align="center">3</td>' in html and "<td>4</td>" in html
    assert "style" not in html


def test_code_blocks_show_markup_as_text():
    html = render("```powershell\nGet-ADUser -Filter * | ? { $_.Enabled } # <b>x</b>\n```\n\nRun `net use <drive>`.")
    assert "<pre><code>Get-ADUser -Filter * | ? { $_.Enabled } # &lt;b&gt;x&lt;/b&gt;\n</code></pre>" in html
    assert "<code>net use &lt;drive&gt;</code>" in html
    assert "class=" not in html  # the language class is dropped with every other attribute


def test_links_are_safe_and_open_without_referrer_or_opener():
    html = render(
        '[portal](https://portal.example.com "The portal") <https://x.example/a?b=1&c=2> '
        "[mail](mailto:it@example.com) [doc](/portal/docs/articles/3/) [phone](tel:+12125550100)"
    )
    assert (
        f'<a href="https://portal.example.com" title="The portal" rel="{REL}">portal</a>' in html
        and f'<a href="https://x.example/a?b=1&amp;c=2" rel="{REL}">https://x.example/a?b=1&amp;c=2</a>' in html
        and f'<a href="mailto:it@example.com" rel="{REL}">mail</a>' in html
        and f'<a href="/portal/docs/articles/3/" rel="{REL}">doc</a>' in html
    )
    assert f'<a rel="{REL}">phone</a>' in html  # tel: is not on the list of schemes: the text stays


def test_images_only_from_this_site():
    html = render('![diagram](/portal/docs/articles/1/files/2/ "Rack") ![beacon](https://evil.example/p.png)')
    assert '<img src="/portal/docs/articles/1/files/2/" alt="diagram" title="Rack">' in html
    assert '<img alt="beacon">' in html


def test_raw_html_is_shown_as_text():
    assert str(render("<b>bold?</b>")) == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>\n"
    assert str(render("a\x00b")) == "<p>a\ufffdb</p>\n"


def test_plain_text_keeps_the_words_only():
    assert plain_text("# VPN\n\nUse **FortiClient** and `vpn.example.com`.\n\n```\ncode\n```") == (
        "VPN Use FortiClient and vpn.example.com . code"
    )
