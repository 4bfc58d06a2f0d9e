"""In a real browser: no hostile Markdown or HTML in a knowledge-base article runs (R34).

Every payload of the corpus (``comanaged/kb/tests/xss_corpus.py``) is the title *and* the body
of a published article a POC reads; the real article page is opened in Chromium. A payload that
ran would open a dialog or call the ``__xss`` trap with its own number. The page's CSP also blocks
inline scripts, so a second part proves the **sanitizer** alone holds: the HTML of
``kb.markdown.render`` (and of ``clean_html`` fed the raw payload) is loaded into a page that has
no CSP at all — and a control shows that the same harness does catch an unsanitized payload.
Besides execution, the DOM is checked per payload: no event-handler or style attribute, no
script, frame, object, embed, base, meta, form or SVG element, no ``javascript:``/``data:``/
``vbscript:`` URL (as written, and as the browser resolves it), images from this site only, and
no request leaves the page's own origin.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from comanaged.kb.markdown import clean_html, render
from comanaged.kb.models import Article
from comanaged.kb.services import TITLE_MAX, article_create
from comanaged.kb.tests.helpers import company
from comanaged.kb.tests.xss_corpus import Payload, payloads
from comanaged.tenancy.tests.factories import PASSWORD

pytestmark = pytest.mark.browser

# Installed in every frame before any of the page's own scripts.
TRAP = """
window.__xss_hits = [];
window.__xss_csp = [];
window.__xss = function (n) {
  try { top.__xss_hits.push(String(n)); } catch (e) { window.__xss_hits.push(String(n)); }
};
document.addEventListener("securitypolicyviolation", function (e) {
  try { top.__xss_csp.push(e.violatedDirective + " " + (e.sample || e.blockedURI)); } catch (err) {}
});
"""

# Problems in ``root`` and the elements under it; [] when clean.
DOM_PROBLEMS = """
(root) => {
  const forbidden = new Set(["script", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
    "meta", "link", "style", "form", "input", "button", "select", "textarea", "svg", "math", "template",
    "video", "audio", "source", "details", "marquee", "noscript", "xmp", "plaintext", "isindex"]);
  const urlAttributes = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "background",
    "poster", "srcset", "codebase", "cite", "lowsrc", "dynsrc"]);
  const badScheme = /^(javascript|vbscript|data):/;
  // As a browser reads a scheme: ASCII whitespace and control characters dropped, case folded.
  const normalise = (value) => Array.from(value).filter((ch) => ch.charCodeAt(0) > 0x20 && ch.charCodeAt(0) !== 0x7f)
    .join("").toLowerCase();
  const problems = [];
  for (const el of [root, ...root.querySelectorAll("*")]) {
    const tag = el.localName.toLowerCase();
    const html = el.outerHTML.slice(0, 160);
    if (forbidden.has(tag)) problems.push(`<${tag}> element: ${html}`);
    for (const attribute of Array.from(el.attributes)) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on")) problems.push(`${name} handler: ${html}`);
      if (name === "style" || name === "srcdoc") problems.push(`${name} attribute: ${html}`);
      if (urlAttributes.has(name) && badScheme.test(normalise(attribute.value))) {
        problems.push(`${name}=${attribute.value}: ${html}`);
      }
    }
    for (const property of ["href", "src"]) {
      const value = typeof el[property] === "string" ? el[property] : "";
      if (!value || !el.hasAttribute(property)) continue;
      let url;
      try { url = new URL(value, document.baseURI); } catch (e) { continue; }
      if (["javascript:", "data:", "vbscript:"].includes(url.protocol)) {
        problems.push(`${property} resolves to ${url.protocol}: ${html}`);
      }
      if (tag === "img" && property === "src" && url.origin !== location.origin) {
        problems.push(`image from ${url.origin}: ${html}`);
      }
    }
  }
  return problems;
}
"""

# The sections of a rendered body, one per payload: {number: problems}. The body interleaves
# "<h2>PAYLOAD n</h2>" markers (plain Markdown headings) with the payloads' own output.
SECTION_PROBLEMS = (
    """
(body) => {
  const check = """
    + DOM_PROBLEMS
    + """;
  const sections = {};
  let current = null;
  for (const child of Array.from(body.children)) {
    const marker = child.localName === "h2" && /^PAYLOAD (\\d+)$/.exec(child.textContent.trim());
    if (marker) { current = marker[1]; sections[current] = []; continue; }
    if (current !== null) sections[current].push(...check(child));
  }
  return sections;
}
"""
)

SEPARATOR = " ¦ "


def as_title(payload: Payload) -> str:
    """The payload as an article title keeps it (``services.clean_title``): one line, no NUL."""
    return " ".join(payload.text.replace("\x00", "").split())


def groups(corpus: list[Payload]) -> list[list[Payload]]:
    """Payloads packed into as few articles as titles of at most 200 characters allow."""
    packed: list[list[Payload]] = [[]]
    for payload in corpus:
        title = SEPARATOR.join(as_title(p) for p in [*packed[-1], payload])
        if packed[-1] and len(title) > TITLE_MAX:
            packed.append([])
        packed[-1].append(payload)
    return packed


def batched_body(batch: list[Payload], *, html: bool = False) -> str:
    """One Markdown (or HTML) document holding every payload of the batch, each after its marker."""
    if html:
        return "".join(f"<h2>PAYLOAD {p.number}</h2>{p.text}" for p in batch)
    return "".join(f"\n\n## PAYLOAD {p.number}\n\n{p.text}\n\n" for p in batch)


def sign_in_poc(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/")


class Watcher:
    """Dialogs and trap calls of one page, whatever frame they come from."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        page.add_init_script(TRAP)
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def fired(self) -> list[str]:
        hits = self.page.evaluate("window.__xss_hits || []")
        return self.dialogs + hits

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__xss_csp || []")


@pytest.mark.django_db(transaction=True)
def test_r34_no_payload_runs_on_the_article_page_a_poc_reads(browser, live_server):
    corpus = payloads()
    acme = company()
    articles: list[tuple[list[Payload], Article]] = []
    for group in groups(corpus):  # each payload in an article's title and in its body
        article = article_create(
            actor=acme.poc, client=acme.client, title=SEPARATOR.join(as_title(p) for p in group),
            body=batched_body(group), visibility="end_users", publish=True,
        )  # fmt: skip
        articles.append((group, article))
    assert sum(len(group) for group, _ in articles) == len(corpus)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    watcher = Watcher(page)
    sign_in_poc(page, live_server.url, acme.poc.email)

    failures: list[str] = []
    for group, article in articles:
        url = live_server.url + reverse("portal:kb_article", args=[article.pk])
        page.goto(url)
        page.wait_for_timeout(150)  # let late events (onerror, ontoggle, autofocus, refresh) fire
        assert page.url == url, f"{group[0]}…: the page navigated away to {page.url}"
        shown = (page.locator("#article-title").text_content() or "").strip()
        document_title = page.title()
        title_problems = page.locator("#article-title").evaluate(DOM_PROBLEMS)
        sections = page.locator("#article-body").evaluate(SECTION_PROBLEMS)
        fired = watcher.fired()
        for payload in group:
            if str(payload.number) in fired:
                failures.append(f"{payload} ran on the article page")
            if as_title(payload) not in shown:
                failures.append(f"{payload}: not shown as text in the title: {shown!r}")
            if as_title(payload) not in document_title:
                failures.append(f"{payload}: not shown as text in the document title: {document_title!r}")
            if str(payload.number) not in sections:
                failures.append(f"{payload}: its section is missing from the body (swallowed by another payload?)")
            failures += [f"{payload}: {problem}" for problem in sections.get(str(payload.number), [])]
        failures += [f"{group[0]}… (title): {problem}" for problem in title_problems]
        failures += [f"CSP blocked something on {url}: {violation}" for violation in watcher.csp_violations()]
    assert watcher.dialogs == [], f"dialogs opened: {watcher.dialogs}"
    assert failures == [], "\n".join(failures)
    context.close()


@pytest.fixture
def bare_page(browser):
    """A page at http://kb.test/ with no CSP at all and no network: every request is answered
    here (the page itself, 404 for anything else on kb.test) and recorded."""
    context = browser.new_context()
    requests: list[str] = []

    def answer(route) -> None:
        url = route.request.url
        requests.append(url)
        if url == "http://kb.test/":
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>kb</title><body></body>")
        else:
            route.fulfill(status=404, content_type="text/plain", body="")

    context.route("**/*", answer)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watcher = Watcher(page)
    page.goto("http://kb.test/")
    yield page, watcher, requests
    context.close()


def document_of(sections: str) -> str:
    return f'<!doctype html><html><head><title>kb</title></head><body><main id="kb">{sections}</main></body></html>'


@pytest.mark.nodb
def test_the_harness_catches_an_unsanitized_payload(bare_page):
    """The control: without the sanitizer, the same page and trap see payloads run."""
    page, watcher, _ = bare_page
    raw = batched_body(
        [Payload(7001, "control-alert", "<img src=x onerror=alert(7001)>"),
         Payload(7002, "control-trap", "<details open ontoggle=__xss(7002)>x</details>"),
         Payload(7003, "control-link", '<a href="jav&#x09;ascript:alert(7003)">x</a>')],
        html=True,
    )  # fmt: skip
    page.set_content(document_of(raw))
    page.wait_for_function("window.__xss_hits.length >= 1")
    page.wait_for_timeout(300)
    assert "7001" in watcher.dialogs and "7002" in watcher.fired()
    sections = page.locator("#kb").evaluate(SECTION_PROBLEMS)
    assert any("onerror" in p for p in sections["7001"]) and any("ontoggle" in p for p in sections["7002"])
    assert any("javascript" in p for p in sections["7003"])


@pytest.mark.nodb
def test_r34_the_sanitizer_alone_stops_every_payload_without_csp(bare_page):
    page, watcher, requests = bare_page
    corpus = payloads()
    stages = {
        "render": lambda p: str(render(p.text)),
        "clean_html": lambda p: clean_html(p.text),
    }
    failures: list[str] = []
    for stage, sanitize in stages.items():
        sections = "".join(f"<h2>PAYLOAD {p.number}</h2>{sanitize(p)}" for p in corpus)
        page.set_content(document_of(sections))
        page.wait_for_timeout(500)  # late events: onerror, ontoggle, autofocus, meta refresh
        assert page.url == "http://kb.test/", f"{stage}: the page navigated away to {page.url}"
        found = page.locator("#kb").evaluate(SECTION_PROBLEMS)
        fired = watcher.fired()
        for payload in corpus:
            if str(payload.number) in fired:
                failures.append(f"{payload} ran after {stage}")
            if str(payload.number) not in found:
                failures.append(f"{payload}: its section is missing after {stage}")
            failures += [f"{payload} after {stage}: {problem}" for problem in found.get(str(payload.number), [])]
    assert watcher.dialogs == [], f"dialogs opened: {watcher.dialogs}"
    foreign = [url for url in requests if not url.startswith("http://kb.test/")]
    assert foreign == [], f"requests left the page's origin: {foreign}"
    assert failures == [], "\n".join(failures)
