"""Search and suggestions of the knowledge base (R34), and the editor's live preview.

The index answers (``core.search``), then ``kb.selectors.search_for`` checks every hit against
what the user may open, so a result page never shows a foreign or hidden row.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse

from comanaged.core import search
from comanaged.core.errors import ApplicationError
from comanaged.kb import access, selectors, services
from comanaged.kb.indexing import ARTICLE, DOCUMENT, TICKET
from comanaged.kb.pages import Desk
from comanaged.kb.pages.articles import render_body

SEARCH_LIMIT = 50
SUGGESTION_FALLBACK_TERMS = 4
KIND_LABELS = {ARTICLE: "Article", DOCUMENT: "Document", TICKET: "Ticket"}
KIND_ICONS = {ARTICLE: "bi-journal-text", DOCUMENT: "bi-hdd-network", TICKET: "bi-ticket-detailed"}


def _result_url(desk: Desk, result: selectors.Result) -> str:
    if result.kind == ARTICLE:
        return desk.url("article", result.object.pk)
    if result.kind == DOCUMENT:
        return desk.url("document", result.object.pk)
    if result.kind == TICKET and not desk.is_portal:
        return reverse("console:ticket", args=[result.object.number])
    return ""


def _query_text(request: HttpRequest, *names: str) -> str:
    parts = (request.GET.get(name, "") for name in names)
    return " ".join(part.replace("\x00", " ") for part in parts if part)[: search.MAX_INPUT_CHARS]


def search_page(request: HttpRequest, desk: Desk) -> HttpResponse:
    """Articles, documents and (staff) tickets the user may open — each re-checked by the
    selector after the index answers. On the console with a client: that client and the
    provider-wide ones."""
    q = _query_text(request, "q").strip()
    terms = search.parse_terms(q)
    results = selectors.search_for(desk.user, q, limit=SEARCH_LIMIT) if terms else []
    if not desk.is_portal and desk.client is not None:
        results = [r for r in results if getattr(r.object, "client_id", None) in (None, desk.client.pk)]
    rows = [
        {
            "result": result,
            "url": _result_url(desk, result),
            "label": KIND_LABELS.get(result.kind, result.kind),
            "icon": KIND_ICONS.get(result.kind, "bi-file-text"),
        }
        for result in results
    ]
    return desk.render(request, "kb/search.html", q=q, has_terms=bool(terms), rows=rows)


def _suggestions(user: Any, title: str, description: str) -> list[selectors.Result]:
    """Up to five articles for what is being typed. The index matches every word of a query
    (AND), which a sentence rarely does: after the whole title and the whole description, the
    title's longest words are tried one by one. Each call is the fail-closed selector."""
    found: dict[int, selectors.Result] = {}
    attempts = [title, description]
    words = sorted({t for t in search.parse_terms(title) if len(t) >= 3}, key=lambda t: (-len(t), t))
    attempts += words[:SUGGESTION_FALLBACK_TERMS]
    for text in attempts:
        if len(found) >= selectors.SUGGESTIONS or not search.parse_terms(text):
            continue
        for result in selectors.suggestions_for_ticket(user, text):
            found.setdefault(result.object.pk, result)
    return list(found.values())[: selectors.SUGGESTIONS]


def suggest(request: HttpRequest, desk: Desk) -> HttpResponse:
    """The panel beside the new-ticket form (R33): related articles as the title and the
    description are typed. An empty query gives an empty panel."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    title = _query_text(request, "q", "title")
    description = _query_text(request, "description")
    results = _suggestions(desk.user, title, description) if (title.strip() or description.strip()) else []
    rows = [{"result": r, "url": desk.url("article", r.object.pk)} for r in results]
    return render(request, "kb/_suggestions.html", {"rows": rows, "asked": bool(title.strip() or description.strip())})


def preview(request: HttpRequest, desk: Desk) -> HttpResponse:
    """The editor's live preview: the Markdown as readers will see it (``kb.markdown.render``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    writer = access.may_write_for(desk.user, desk.client) if desk.is_portal else access.is_kb_editor(desk.user)
    if not writer:
        raise PermissionDenied
    body = request.POST.get("body", "")
    try:
        body = services.clean_body(body)
    except ApplicationError as error:
        return render(request, "kb/_preview.html", {"error": error.message})
    return render(request, "kb/_preview.html", {"html": render_body(desk, body), "empty": not body.strip()})
