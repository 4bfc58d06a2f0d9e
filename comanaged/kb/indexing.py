"""Keeping the search index (``core.search``) in step with the knowledge base and tickets.

Called inside the writing transaction, so a refused write leaves the index as it was. Secrets
are never indexed: a document's entry holds its title, its field values and its body only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from comanaged.core import search
from comanaged.kb.access import article_audience, document_audience
from comanaged.kb.choices import ArticleStatus
from comanaged.kb.markdown import plain_text
from comanaged.kb.models import Article, ArticleVersion, Document
from comanaged.tickets.models import Ticket

ARTICLE = "article"
DOCUMENT = "document"
TICKET = "ticket"


def _indexed_version(article: Article) -> ArticleVersion | None:
    """Readers search what they can read: the published text once there is one."""
    if article.status == ArticleStatus.PUBLISHED and article.published_version is not None:
        return article.published_version
    return article.current_version


def article_entry(article: Article) -> search.Entry:
    version = _indexed_version(article)
    return search.Entry(
        kind=ARTICLE,
        object_id=article.pk,
        client_id=article.client_id,
        audience=article_audience(article),
        title=version.title if version else article.title,
        body=plain_text(version.body) if version else "",
    )


def index_article(article: Article) -> None:
    search.index(article_entry(article))


def document_entry(document: Document) -> search.Entry:
    values = " ".join(str(value) for value in (document.values or {}).values())
    return search.Entry(
        kind=DOCUMENT,
        object_id=document.pk,
        client_id=document.client_id,
        audience=document_audience(document),
        title=document.title,
        body=f"{document.template.name} {values} {plain_text(document.body)}",
    )


def index_document(document: Document) -> None:
    search.index(document_entry(document))


def ticket_entry(ticket: Ticket) -> search.Entry:
    """Tickets are searched by provider staff only (the portal has its own ticket list)."""
    text = " ".join(filter(None, [ticket.description, ticket.tried, ticket.error_messages, ticket.conditions]))
    return search.Entry(
        kind=TICKET,
        object_id=ticket.pk,
        client_id=ticket.client_id,
        audience=search.Audience.STAFF,
        title=f"#{ticket.number} {ticket.title}",
        body=text,
    )


def index_ticket(ticket: Ticket) -> None:
    search.index(ticket_entry(ticket))


def all_entries() -> Iterator[search.Entry]:
    """Everything that belongs in the index, for a rebuild."""
    articles = Article.objects.select_related("current_version", "published_version").order_by("pk")
    for article in articles.iterator(chunk_size=500):
        yield article_entry(article)
    for document in Document.objects.select_related("template").order_by("pk").iterator(chunk_size=500):
        yield document_entry(document)
    for ticket in Ticket.objects.order_by("pk").iterator(chunk_size=2000):
        yield ticket_entry(ticket)


def rebuild(on_progress: Any = None) -> int:
    return search.index_many(all_entries(), on_progress=on_progress)
