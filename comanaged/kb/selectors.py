"""Reads of the knowledge base shared by pages and the API. Every read starts from the
fail-closed querysets of ``kb.access``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from comanaged.core import search
from comanaged.kb import access
from comanaged.kb.indexing import ARTICLE, DOCUMENT, TICKET
from comanaged.kb.models import Article, ArticleAttachment, ArticleVersion, CredentialAccess, Document, DocumentTemplate
from comanaged.tenancy.access import client_person_of
from comanaged.tenancy.scoping import client_scope, is_provider_staff
from comanaged.tickets.access import visible_tickets
from comanaged.tickets.models import Ticket

SUGGESTIONS = 5


def readable_version(user: Any, article: Article) -> ArticleVersion | None:
    """What this user reads: editors the newest version, readers the published one."""
    return article.current_version if access.shows_draft(user, article) else article.published_version


def readable_attachments(user: Any, article: Article) -> QuerySet[ArticleAttachment]:
    """Editors see every file; readers the files that were there when the article was last
    published (a file added to a draft appears to readers with the next publication)."""
    attachments = article.attachments.all()
    if access.shows_draft(user, article):
        return attachments
    if article.published_at is None:
        return attachments.none()
    return attachments.filter(created_at__lte=article.published_at)


def article_list(
    user: Any,
    *,
    client_id: int | None = None,
    provider_wide: bool | None = None,
    category_id: int | None = None,
    tag: str | None = None,
    status: str | None = None,
) -> QuerySet[Article]:
    articles = access.visible_articles(user).select_related("category", "client").prefetch_related("tags")
    if client_id is not None:
        articles = articles.filter(client_id=client_id)
    if provider_wide is not None:
        articles = articles.filter(client__isnull=provider_wide)
    if category_id is not None:
        articles = articles.filter(category_id=category_id)
    if tag:
        articles = articles.filter(tags__name=tag.lower())
    if status:
        articles = articles.filter(status=status)
    return articles.order_by("title", "id")


def document_list(user: Any, *, client_id: int | None = None, template_id: int | None = None) -> QuerySet[Document]:
    documents = access.visible_documents(user).select_related("template", "client", "updated_by")
    if client_id is not None:
        documents = documents.filter(client_id=client_id)
    if template_id is not None:
        documents = documents.filter(template_id=template_id)
    return documents.annotate(credential_count=Count("credentials")).order_by("template__position", "title", "id")


def active_templates() -> QuerySet[DocumentTemplate]:
    return DocumentTemplate.objects.filter(is_active=True).order_by("position", "name")


def credential_log(user: Any, *, client_id: int | None = None) -> QuerySet[CredentialAccess]:
    """Who revealed (or tried to reveal) the client's secrets: for its POCs and for staff."""
    log = CredentialAccess.objects.for_user(user)
    if not is_provider_staff(user):
        person = client_person_of(user)
        if person is None or not person.is_poc:
            return log.none()
        log = log.filter(visible_to_client=True)
    if client_id is not None:
        log = log.filter(client_id=client_id)
    return log.select_related("credential")


@dataclass(frozen=True)
class Result:
    """One search result the user may open: what it is, the row, and a safe snippet."""

    kind: str
    object: Any
    title: str
    snippet: str
    client_name: str


def search_for(user: Any, text: str, *, kinds: tuple[str, ...] | None = None, limit: int = 20) -> list[Result]:
    """The index's answer, checked again row by row against what the user may see (fail-closed:
    a stale entry, a changed visibility or a ticket out of the user's reach is dropped)."""
    if not search.parse_terms(text):
        return []
    allowed = {ARTICLE, DOCUMENT} | ({TICKET} if is_provider_staff(user) else set())
    kinds = tuple(kind for kind in (kinds or tuple(allowed)) if kind in allowed)
    if not kinds:
        return []
    hits = search.search(text, access.search_reader(user), kinds=kinds, limit=limit)
    ids: dict[str, list[int]] = {}
    for hit in hits:
        ids.setdefault(hit.kind, []).append(hit.object_id)
    rows: dict[tuple[str, int], Any] = {}
    if ids.get(ARTICLE):
        for article in access.visible_articles(user).filter(pk__in=ids[ARTICLE]).select_related("client"):
            rows[(ARTICLE, article.pk)] = article
    if ids.get(DOCUMENT):
        for document in access.visible_documents(user).filter(pk__in=ids[DOCUMENT]).select_related("client"):
            rows[(DOCUMENT, document.pk)] = document
    if ids.get(TICKET):
        for ticket in visible_tickets(user, Ticket.objects.filter(pk__in=ids[TICKET])).select_related("client"):
            rows[(TICKET, ticket.pk)] = ticket
    results = []
    for hit in hits:
        row = rows.get((hit.kind, hit.object_id))
        if row is None:
            continue
        client = getattr(row, "client", None)
        results.append(Result(hit.kind, row, hit.title, hit.snippet, client.name if client else ""))
    return results


def suggestions_for_ticket(user: Any, text: str, limit: int = SUGGESTIONS) -> list[Result]:
    """Articles related to what a POC is typing into a new ticket (R33, R34)."""
    return search_for(user, text, kinds=(ARTICLE,), limit=limit)


def clients_in_reach(user: Any) -> Q:
    scope = client_scope(user)
    return Q() if scope.all_clients else Q(pk__in=scope.client_ids)
