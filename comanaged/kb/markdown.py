"""Markdown to safe HTML, the one way knowledge-base text reaches a page.

CommonMark (markdown-it-py) plus tables and strikethrough. Raw HTML in the source is not passed
through as markup, and the rendered HTML is then cleaned by nh3 against an allowlist anyway
(defence in depth: a parser bug must not become a script). What survives:

- structural tags only; no ``style``, no event handlers, no ``<script>``, ``<iframe>``, forms;
- links to ``http``, ``https`` and ``mailto`` only, opened with ``rel="noopener noreferrer nofollow"``;
- images only from this site (a path such as an article attachment): an external image is a
  tracking beacon at best, and the CSP (``img-src 'self'``) would refuse it anyway. The path
  may hold no whitespace or control character (a browser drops tabs and newlines from a URL,
  so ``/<tab>/host/x.png`` would become ``//host/x.png``) and no backslash (read as ``/``);
- table column alignment as an ``align`` attribute (markdown-it writes it as a ``style``,
  which is not allowed), a list's ``start`` only as a number.

``tests/e2e/test_kb_xss.py`` renders a corpus of hostile payloads (``kb/tests/xss_corpus.py``)
through :func:`render` and :func:`clean_html` in Chromium and proves none of them runs.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody",
        "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# An article attachment's download path on either side, and nothing else: any other same-site
# path as an image source would make every reader's browser send a GET there (an export, say).
_LOCAL_PATH = re.compile(r"/(?:portal/docs|console/kb)/articles/[0-9]{1,19}/files/[0-9]{1,19}/(?:\?inline=1)?")
_NUMBER = re.compile(r"-?[0-9]{1,9}")
_ALIGN = "text-align:"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=False: raw HTML in the source is shown as text, never as markup.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )
    parser.core.ruler.push("cell_align", _align_cells)
    return parser


def _align_cells(state: StateCore) -> None:
    """``style="text-align:left"`` on table cells becomes ``align="left"``: styles are not allowed."""
    for token in state.tokens:
        if token.type in {"th_open", "td_open"}:
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style.startswith(_ALIGN):
                token.attrSet("align", style.removeprefix(_ALIGN))


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        # Only this site's own paths: "/kb/…", never "//host/…" (protocol-relative) or data:.
        return value if _LOCAL_PATH.fullmatch(value) else None
    if tag in {"th", "td"} and attribute == "align":
        return value if value in {"left", "right", "center"} else None
    if tag == "ol" and attribute == "start":
        return value if _NUMBER.fullmatch(value) else None
    return value


def clean_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        # "*": none on every tag (nh3 would otherwise add "lang" and "title" everywhere).
        attributes={"*": set(), **{tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}},
        attribute_filter=_keep_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        clean_content_tags={"script", "style"},
    )


def render(source: str) -> SafeString:
    """Safe HTML for a Markdown source (any string, however hostile)."""
    html = _parser().render(source.replace("\x00", "\ufffd"))
    return mark_safe(clean_html(html))  # noqa: S308 - cleaned by nh3 against the allowlist above


def plain_text(source: str) -> str:
    """The words of a Markdown source without its markup, for search snippets and previews."""
    tokens = _parser().parse(source.replace("\x00", " "))
    words: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            words.extend(child.content for child in token.children if child.type in {"text", "code_inline"})
        elif token.type in {"code_block", "fence"}:
            words.append(token.content)
    return " ".join(" ".join(words).split())
