"""The article pages of the knowledge base (R34), for both desks: the portal (POCs write their
client's documentation, end-users read what is published to everyone) and the console (staff).

Thin adapters, like the rest of the pages: every read starts from ``kb.access`` /
``kb.selectors`` (a foreign or hidden article is a 404, exactly like a missing one), every
write is one call to a ``kb.services`` function (a refusal is shown beside its field and saves
nothing; ``PermissionDenied`` becomes a 403). Markdown reaches a page only through
``kb.markdown.render``; search snippets are the only other HTML, escaped by ``core.search``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from comanaged.agreements.selectors import active_agreement
from comanaged.core import files
from comanaged.core.errors import ApplicationError
from comanaged.kb import access, markdown, selectors, services
from comanaged.kb.choices import ArticleStatus, Visibility
from comanaged.kb.diff import diff_versions
from comanaged.kb.errors import KbErrorCode
from comanaged.kb.models import Article, ArticleAttachment, ArticleVersion, Category
from comanaged.kb.pages import Desk
from comanaged.kb.pages.article_forms import ArticleForm, split_tags
from comanaged.kb.runbooks import runbook_status
from comanaged.tenancy.access import MAX_ID, parse_id
from comanaged.tenancy.models import Client
from comanaged.tickets.access import visible_tickets

LIST_LIMIT = 300  # per section of the home page; search and filters find the rest
HISTORY_LIMIT = 200
STATUS_FILTERS = {
    "draft": "Drafts",
    "changes": "Unpublished changes",
    "published": "Published",
    "archived": "Archived",
}
VISIBILITY_ICONS = {
    Visibility.INTERNAL: "bi-lock",
    Visibility.CLIENT: "bi-person-badge",
    Visibility.END_USERS: "bi-people",
}


# --- shared helpers ----------------------------------------------------------------------------


def _article_or_404(desk: Desk, pk: int) -> Article:
    """An article this user may see at all; another client's, a hidden one or a missing one
    is the same 404."""
    if not 1 <= pk <= MAX_ID:
        raise Http404
    article = (
        access.visible_articles(desk.user)
        .select_related("client", "category", "current_version", "published_version")
        .filter(pk=pk)
        .first()
    )
    if article is None:
        raise Http404
    return article


def _desk_for(desk: Desk, article: Article) -> Desk:
    """On the console an article page is about the article's own client (None: provider-wide)."""
    return desk if desk.is_portal else desk.with_client(article.client)


def _require_edit(desk: Desk, article: Article) -> None:
    if not access.may_edit_article(desk.user, article):
        raise PermissionDenied("You may not change this article.")


def _edit_rights(user: Any) -> Callable[[Article], bool]:
    """``access.may_edit_article`` for a whole list: its answer depends on the article's client
    and visibility only, so it is asked once per pair rather than once per row."""
    answers: dict[tuple[int | None, str], bool] = {}

    def editable(article: Article) -> bool:
        key = (article.client_id, article.visibility)
        if key not in answers:
            answers[key] = access.may_edit_article(user, article)
        return answers[key]

    return editable


def _other_side_prefixes() -> list[tuple[str, str]]:
    return [(reverse("portal:kb_home"), "portal"), (reverse("console:kb_home"), "console")]


def render_body(desk: Desk, source: str) -> SafeString:
    """Render Markdown for this desk. An attachment's URL written on one desk
    (``/portal/docs/articles/3/files/7/``) is pointed at the same file on the desk reading it,
    in the *source*, before ``kb.markdown.render`` cleans the result."""
    here = reverse(f"{desk.side}:kb_home") + "articles/"
    for prefix, side in _other_side_prefixes():
        if side != desk.side:
            source = source.replace(f"]({prefix}articles/", f"]({here}")
    return markdown.render(source)


def _status_message(article: Article) -> str:
    labels = {
        ArticleStatus.PUBLISHED: "Published: readers now see it.",
        ArticleStatus.DRAFT: "Back to draft: readers no longer see it.",
        ArticleStatus.ARCHIVED: "Archived: hidden from readers, kept with its history.",
    }
    return labels.get(ArticleStatus(article.status), "Saved.")


def _action_publishes(request: HttpRequest) -> bool:
    return request.POST.get("action") == "publish"


# --- home -----------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> dict[str, Any]:
    category_id = parse_id(request.GET.get("category"))
    tag = " ".join(request.GET.get("tag", "").replace("\x00", "").lower().split())[:40]
    status = request.GET.get("status", "")
    return {
        "category": category_id,
        "tag": tag,
        "status": status if status in STATUS_FILTERS else "",
    }


def _section(
    desk: Desk, editable: Callable[[Article], bool], state: dict[str, Any], **scope: Any
) -> tuple[list[Article], list[Article]]:
    """(all articles of a section for the facets, the filtered ones to list)."""

    user = desk.user

    def shown(queryset: QuerySet[Article]) -> list[Article]:
        if state["status"] in {"draft", "published", "archived"}:
            queryset = queryset.filter(status=state["status"])
        elif state["status"] == "changes":
            queryset = queryset.filter(status=ArticleStatus.PUBLISHED)
        else:
            queryset = queryset.exclude(status=ArticleStatus.ARCHIVED)
        rows = []
        for article in queryset.select_related("current_version", "published_version")[:LIST_LIMIT]:
            article.editable = editable(article)  # type: ignore[attr-defined]
            article.page_url = desk.url("article", article.pk)  # type: ignore[attr-defined]
            # A reader (an end-user, staff without the editing role) opens published text only.
            if not article.editable and article.published_version_id is None:  # type: ignore[attr-defined]
                continue
            if state["status"] == "changes" and not article.has_unpublished_changes:
                continue
            # Readers see the published title, never a draft's (the title changes with each save).
            readable = selectors.readable_version(user, article)
            article.display_title = readable.title if readable is not None else article.title  # type: ignore[attr-defined]
            rows.append(article)
        return rows

    everything = shown(selectors.article_list(user, **scope))
    if state["category"] is None and not state["tag"]:
        return everything, everything
    filtered = shown(selectors.article_list(user, category_id=state["category"], tag=state["tag"] or None, **scope))
    return everything, filtered


def _grouped(articles: list[Article]) -> list[tuple[Category | None, list[Article]]]:
    def shelf(article: Article) -> tuple[bool, int, str]:
        category = article.category
        return (category is None, category.position if category else 0, category.name if category else "")

    ordered = sorted(articles, key=lambda a: (*shelf(a), a.title.lower(), a.pk))
    return [(group[0].category, group) for _, rows in groupby(ordered, key=shelf) if (group := list(rows))]


def _facets(articles: Iterable[Article]) -> tuple[list[tuple[Category, int]], list[tuple[str, int]]]:
    categories: dict[int, tuple[Category, int]] = {}
    tags: dict[str, int] = {}
    for article in articles:
        if article.category is not None:
            category, count = categories.get(article.category.pk, (article.category, 0))
            categories[category.pk] = (category, count + 1)
        for tag in article.tags.all():
            tags[tag.name] = tags.get(tag.name, 0) + 1
    ordered_categories = sorted(categories.values(), key=lambda item: (item[0].position, item[0].name))
    return ordered_categories, sorted(tags.items())


def _filter_link(desk: Desk, state: dict[str, Any]) -> Callable[..., str]:
    """URLs of the home page with one filter changed and the others (and the client) kept."""

    def link(**change: Any) -> str:
        wanted = {**state, **change}
        params = [("client", str(desk.client.pk))] if desk.client_query() and desk.client else []
        params += [(key, str(wanted[key])) for key in ("category", "tag", "status") if wanted[key]]
        return f"{desk.url('home')}?{urlencode(params)}" if params else desk.url("home")

    return link


def home(request: HttpRequest, desk: Desk) -> HttpResponse:
    """The shelves: the client's articles by category (filterable by category, tag and, for
    editors, status), the provider-wide ones in their own section, the runbook progress (R27)."""
    user = desk.user
    state = _filters(request)
    editable = _edit_rights(user)
    client = desk.client
    own_all: list[Article] = []
    own: list[Article] = []
    if client is not None:
        own_all, own = _section(desk, editable, state, client_id=client.pk)
    provider_all, provider = _section(desk, editable, state, provider_wide=True)
    may_write = access.may_write_for(user, client)
    is_editor = may_write or any(a.editable for a in [*own_all, *provider_all])  # type: ignore[attr-defined]
    if not is_editor:
        state["status"] = ""
    categories, tags = _facets([*own_all, *provider_all])
    link = _filter_link(desk, state)
    clients = None
    if client is None and not desk.is_portal:
        clients = (
            Client.objects.for_user(user)
            .filter(is_active=True)
            .annotate(article_count=Count("articles", distinct=True))
            .order_by("name")
        )
    agreement = active_agreement(client) if client is not None else None
    show_runbooks = agreement is not None and (not desk.is_portal or bool(desk.person and desk.person.is_poc))
    return desk.render(
        request,
        "kb/home.html",
        own_groups=_grouped(own),
        own_count=len(own),
        provider_groups=_grouped(provider),
        provider_count=len(provider),
        filtering=bool(state["category"] or state["tag"] or state["status"]),
        state=state,
        category_links=[
            (category, count, link(category=None if state["category"] == category.pk else category.pk))
            for category, count in categories
        ],
        tag_links=[(name, count, link(tag="" if state["tag"] == name else name)) for name, count in tags],
        status_links=[
            (value, label, link(status="" if state["status"] == value else value))
            for value, label in STATUS_FILTERS.items()
        ],
        clear_url=link(category=None, tag="", status=""),
        is_editor=is_editor,
        may_write=may_write,
        may_write_provider_wide=not desk.is_portal and access.may_write_for(user, None),
        clients=clients,
        agreement=agreement,
        runbooks=runbook_status(agreement) if show_runbooks and agreement is not None else None,
        visibility_icons=VISIBILITY_ICONS,
    )


# --- one article ----------------------------------------------------------------------------


def _links_of(desk: Desk, article: Article) -> dict[str, Any]:
    """Linked tickets (as far as this user may see them), sites and applications."""
    tickets = visible_tickets(desk.user, article.tickets.all()).order_by("-number")[:50]
    name = "portal:ticket" if desk.is_portal else "console:ticket"
    return {
        "tickets": [(ticket, reverse(name, args=[ticket.number])) for ticket in tickets],
        "sites": list(article.sites.order_by("name")),
        "applications": list(article.applications.order_by("name")),
    }


def _attachment_rows(desk: Desk, article: Article) -> list[dict[str, Any]]:
    rows = []
    for attachment in selectors.readable_attachments(desk.user, article):
        url = desk.url("attachment", article.pk, attachment.pk)
        image = attachment.content_type.startswith("image/")
        label = attachment.name.replace("[", "(").replace("]", ")")
        rows.append(
            {
                "attachment": attachment,
                "url": url,
                "delete_url": desk.url("attachment_delete", article.pk, attachment.pk),
                "image": image,
                "markdown": f"![{label}]({url})" if image else f"[{label}]({url})",
            }
        )
    return rows


def _attachments_context(desk: Desk, article: Article, editable: bool, error: str = "") -> dict[str, Any]:
    return {
        "article": article,
        "attachments": _attachment_rows(desk, article),
        "editable": editable,
        "upload_url": desk.url("attachment_upload", article.pk, query=desk.client_query()),
        "max_mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "accepted": ",".join(f".{ext}" for ext in sorted(files.ALLOWED)),
        "error": error,
        "desk": desk,
    }


def _article_urls(desk: Desk, article: Article) -> dict[str, str]:
    return {
        "page": desk.url("article", article.pk),
        "edit": desk.url("article_edit", article.pk),
        "status": desk.url("article_status", article.pk),
        "history": desk.url("article_history", article.pk),
        "diff": desk.url("article_diff", article.pk),
        "restore": desk.url("article_restore", article.pk),
    }


def _without_article(context: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in context.items() if key not in {"article", "desk", "editable"}}


def article_detail(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    article = _article_or_404(desk, pk)
    desk = _desk_for(desk, article)
    version = selectors.readable_version(desk.user, article)
    if version is not None:
        version = ArticleVersion.objects.select_related("author").get(pk=version.pk)
    editable = access.may_edit_article(desk.user, article)
    return desk.render(
        request,
        "kb/article_detail.html",
        article=article,
        version=version,
        body_html=render_body(desk, version.body) if version else None,
        editable=editable,
        tags=list(article.tags.all()),
        linked=_links_of(desk, article),
        urls=_article_urls(desk, article),
        visibility_icons=VISIBILITY_ICONS,
        **_without_article(_attachments_context(desk, article, editable)),
    )


def _save_article(request: HttpRequest, desk: Desk, form: ArticleForm, article: Article | None) -> Article | None:
    data = form.cleaned_data
    common = {
        "title": data["title"],
        "body": data["body"],
        "visibility": data["visibility"],
        "category": data["category"],
        "tags": split_tags(data["tags"]),
        "note": data["note"],
        "publish": _action_publishes(request),
    }
    try:
        if article is None:
            return services.article_create(actor=desk.user, client=desk.client, **common)
        return services.article_update(actor=desk.user, article=article, base_version=data["base_version"], **common)
    except ApplicationError as error:
        form.add_problems(error)
        return None


def article_new(request: HttpRequest, desk: Desk) -> HttpResponse:
    """A new article of the desk's client (console: ``?client=``; none: provider-wide)."""
    if not access.may_write_for(desk.user, desk.client):
        raise PermissionDenied("You may not write documentation here.")
    form = ArticleForm(request.POST or None, user=desk.user)
    if request.method == "POST" and form.is_valid():
        article = _save_article(request, desk, form, None)
        if article is not None:
            messages.success(request, "Published." if _action_publishes(request) else "Draft saved.")
            return HttpResponseRedirect(desk.url("article", article.pk))
    return desk.render(
        request,
        "kb/article_form.html",
        form=form.mark_invalid(),
        article=None,
        action_url=desk.url("article_new", query=desk.client_query()),
        cancel_url=desk.tabs()["home"],
        preview_url=desk.url("preview"),
    )


def article_edit(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    article = _article_or_404(desk, pk)
    desk = _desk_for(desk, article)
    _require_edit(desk, article)
    form = ArticleForm(request.POST or None, user=desk.user, article=article)
    if request.method == "POST" and form.is_valid():
        saved = _save_article(request, desk, form, article)
        if saved is not None:
            messages.success(request, "Published." if _action_publishes(request) else "Saved.")
            return HttpResponseRedirect(desk.url("article", saved.pk))
    current = article.current_version
    return desk.render(
        request,
        "kb/article_form.html",
        form=form.mark_invalid(),
        article=article,
        current=current,
        action_url=desk.url("article_edit", article.pk),
        cancel_url=desk.url("article", article.pk),
        preview_url=desk.url("preview"),
        editable=True,
        **_without_article(_attachments_context(desk, article, True)),
    )


def article_status(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    """Publish, back to draft, or archive (POST)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    article = _article_or_404(desk, pk)
    desk = _desk_for(desk, article)
    _require_edit(desk, article)
    try:
        article = services.article_set_status(actor=desk.user, article=article, status=request.POST.get("status", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _status_message(article))
    return HttpResponseRedirect(desk.url("article", pk))


def _history_article(desk: Desk, pk: int) -> tuple[Desk, Article]:
    """History and diffs show drafts: editors only (readers see the published text)."""
    article = _article_or_404(desk, pk)
    desk = _desk_for(desk, article)
    if not access.shows_draft(desk.user, article):
        raise PermissionDenied("Only the article's editors see its history.")
    return desk, article


def article_history(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    desk, article = _history_article(desk, pk)
    versions = list(
        services.visible_versions(desk.user, article).select_related("author").order_by("-number")[:HISTORY_LIMIT]
    )
    return desk.render(
        request,
        "kb/article_history.html",
        article=article,
        versions=versions,
        newest=versions[0].number if versions else None,
        urls=_article_urls(desk, article),
    )


def article_diff(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    """Two versions side by side (``?a=<older>&b=<newer>``; by default the newest against the
    one before)."""
    desk, article = _history_article(desk, pk)
    newest = services.visible_versions(desk.user, article).order_by("-number").values_list("number", flat=True).first()
    if newest is None:
        raise Http404
    b = parse_id(request.GET.get("b")) or newest
    a = parse_id(request.GET.get("a")) or max(b - 1, 1)
    if a > b:
        a, b = b, a
    versions = services.visible_versions(desk.user, article).select_related("author")
    old = versions.filter(number=a).first()
    new = versions.filter(number=b).first()
    if old is None or new is None:
        raise Http404
    return desk.render(
        request,
        "kb/article_diff.html",
        article=article,
        old=old,
        new=new,
        newest_number=newest,
        diff=diff_versions(old.title, old.body, new.title, new.body),
        urls=_article_urls(desk, article),
    )


def article_restore(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    """Bring an old version back as a new one (POST)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    article = _article_or_404(desk, pk)
    desk = _desk_for(desk, article)
    _require_edit(desk, article)
    number = parse_id(request.POST.get("version"))
    try:
        if number is None:
            raise ApplicationError(KbErrorCode.INVALID, "Choose a version to restore.", field="version")
        article = services.article_restore(actor=desk.user, article=article, number=number)
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(desk.url("article_history", pk))
    current = article.current_version
    messages.success(
        request,
        f"Version {number} restored as version {current.number if current else '?'}."
        + (" Publish it when readers should see it." if article.has_unpublished_changes else ""),
    )
    return HttpResponseRedirect(desk.url("article", pk))


# --- attachments ----------------------------------------------------------------------------


def _attachment_answer(
    request: HttpRequest, desk: Desk, article: Article, *, error: str = "", success: str = ""
) -> HttpResponse:
    """The refreshed attachment panel for htmx; otherwise back to the article with a message."""
    if request.headers.get("HX-Request"):
        context = _attachments_context(desk, article, True, error)
        context["success"] = success
        return render(request, "kb/_attachments.html", context)
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return HttpResponseRedirect(desk.url("article", article.pk) + "#attachments")


@csrf_exempt
def attachment_upload(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    """Attach a file (POST). The size limit is in place before anything reads the body, so
    CSRF is checked by ``csrf_protect`` just after (see ``core.files.LimitedUploadHandler``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        files.refuse_oversized_request(request, settings.ATTACHMENT_MAX_BYTES)
    except ApplicationError as error:
        return HttpResponse(error.message, status=413, content_type="text/plain; charset=utf-8")
    limiter = files.LimitedUploadHandler(settings.ATTACHMENT_MAX_BYTES, request)
    with contextlib.suppress(AttributeError):  # a body already read stays limited by store_upload
        request.upload_handlers.insert(0, limiter)
    return _attachment_upload(request, desk, pk, limiter)


@csrf_protect
def _attachment_upload(request: HttpRequest, desk: Desk, pk: int, limiter: files.LimitedUploadHandler) -> HttpResponse:
    request.POST  # noqa: B018 - parse the body now, so an oversized file stops here
    article = _article_or_404(desk, pk)
    desk = _desk_for(desk, article)
    _require_edit(desk, article)
    try:
        limiter.raise_if_exceeded()
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError(KbErrorCode.INVALID, "Choose a file to attach.", field="file")
        attachment = services.article_attach(actor=desk.user, article=article, upload=upload)
    except ApplicationError as error:
        return _attachment_answer(request, desk, article, error=error.message)
    return _attachment_answer(request, desk, article, success=f"Attached {attachment.name}.")


def _attachment_or_404(desk: Desk, article: Article, file_id: int) -> ArticleAttachment:
    attachments = selectors.readable_attachments(desk.user, article)
    attachment = attachments.filter(pk=file_id).first() if 1 <= file_id <= MAX_ID else None
    if attachment is None:
        raise Http404
    return attachment


def attachment_download(request: HttpRequest, desk: Desk, pk: int, file_id: int) -> HttpResponse:
    """Whoever may read the article may download its files; images are shown inline so the
    article can show them (``![…](this URL)``)."""
    article = _article_or_404(desk, pk)
    attachment = _attachment_or_404(desk, article, file_id)
    inline = attachment.content_type.startswith("image/") or request.GET.get("inline") == "1"
    try:
        response: HttpResponse = files.file_response(attachment, inline=inline)  # type: ignore[assignment]
    except ApplicationError as error:  # the bytes are gone (a backup restored without var/files)
        raise Http404 from error
    return response


def attachment_delete(request: HttpRequest, desk: Desk, pk: int, file_id: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    article = _article_or_404(desk, pk)
    desk = _desk_for(desk, article)
    attachment = _attachment_or_404(desk, article, file_id)
    _require_edit(desk, article)
    name = attachment.name
    services.article_attachment_delete(actor=desk.user, attachment=attachment)
    return _attachment_answer(request, desk, article, success=f"Removed {name}.")
