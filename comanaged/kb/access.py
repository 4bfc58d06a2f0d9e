"""Who reads and writes what in the knowledge base (R34) — the one place, fail-closed.

- **Provider staff** read every article and document of the clients in their scope, and the
  provider-wide ones; the knowledge roles (``Area.KNOWLEDGE``) write them and reveal secrets.
- **A client's POC** reads and writes the client's documentation that is not provider-only
  (MyGlue), reads provider-wide articles once published, and reveals the client's secrets.
- **An end-user** reads published articles meant for everyone at the client, and nothing else.
- Anyone else reads nothing. Search results are checked against these querysets again after
  the index answers, so a stale index entry can never show a foreign row.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from comanaged.core.search import Audience, Reader
from comanaged.kb.choices import ArticleStatus, Visibility
from comanaged.kb.models import Article, Credential, Document
from comanaged.tenancy.access import client_person_of
from comanaged.tenancy.models import Client, Person
from comanaged.tenancy.permissions import Area, can_edit, can_view
from comanaged.tenancy.scoping import client_scope, is_provider_staff

CLIENT_READABLE = (Visibility.CLIENT, Visibility.END_USERS)


def is_kb_editor(user: Any) -> bool:
    """A member of staff whose role writes documentation and reveals secrets."""
    return is_provider_staff(user) and can_edit(user, Area.KNOWLEDGE)


def _poc(user: Any) -> Person | None:
    person = client_person_of(user)
    return person if person is not None and person.is_poc else None


def visible_articles(user: Any) -> QuerySet[Article]:
    articles = Article.objects.for_user(user)
    if is_provider_staff(user):
        return articles if can_view(user, Area.KNOWLEDGE) else articles.none()
    person = client_person_of(user)
    if person is None:
        return articles.none()
    published = Q(status=ArticleStatus.PUBLISHED)
    if person.is_poc:
        own = Q(client_id=person.client_id, visibility__in=CLIENT_READABLE)
        provider_wide = Q(client__isnull=True, visibility__in=CLIENT_READABLE) & published
        return articles.filter(own | provider_wide)
    return articles.filter(
        Q(client_id=person.client_id) | Q(client__isnull=True),
        visibility=Visibility.END_USERS,
        status=ArticleStatus.PUBLISHED,
    )


def may_edit_article(user: Any, article: Article) -> bool:
    if article.client_id is None:
        return is_kb_editor(user)
    if is_kb_editor(user):
        return client_scope(user).allows(article.client_id)
    poc = _poc(user)
    return poc is not None and poc.client_id == article.client_id and article.visibility != Visibility.INTERNAL


def shows_draft(user: Any, article: Article) -> bool:
    """Editors and provider staff see the newest version; client readers the published one."""
    return is_provider_staff(user) or may_edit_article(user, article)


def may_write_for(user: Any, client: Client | None) -> bool:
    """May the user create documentation for this client (None: provider-wide)?"""
    if client is None:
        return is_kb_editor(user)
    if is_kb_editor(user):
        return client_scope(user).allows(client.pk)
    poc = _poc(user)
    return poc is not None and poc.client_id == client.pk


def require_write_for(user: Any, client: Client | None) -> None:
    if not may_write_for(user, client):
        raise PermissionDenied("You may not write documentation here.")


def allowed_visibilities(user: Any) -> tuple[str, ...]:
    """A POC cannot hide a page from themselves; staff choose any."""
    return tuple(Visibility.values) if is_provider_staff(user) else CLIENT_READABLE


def visible_documents(user: Any) -> QuerySet[Document]:
    documents = Document.objects.for_user(user)
    if is_provider_staff(user):
        return documents if can_view(user, Area.KNOWLEDGE) else documents.none()
    poc = _poc(user)
    if poc is None:
        return documents.none()
    return documents.filter(client_id=poc.client_id, visibility=Visibility.CLIENT)


def may_edit_document(user: Any, document: Document) -> bool:
    if is_kb_editor(user):
        return client_scope(user).allows(document.client_id)
    poc = _poc(user)
    return poc is not None and poc.client_id == document.client_id and document.visibility == Visibility.CLIENT


def visible_credentials(user: Any) -> QuerySet[Credential]:
    """Listed without secrets: the credentials of the documents the user may edit."""
    credentials = Credential.objects.for_user(user)
    if is_kb_editor(user):
        return credentials
    poc = _poc(user)
    if poc is None:
        return credentials.none()
    return credentials.filter(client_id=poc.client_id, document__visibility=Visibility.CLIENT)


def may_reveal(user: Any, credential: Credential) -> bool:
    return visible_credentials(user).filter(pk=credential.pk).exists()


def search_reader(user: Any) -> Reader:
    """The index's view of a user: their clients and the lowest audience they may read."""
    scope = client_scope(user)
    if is_provider_staff(user):
        if not can_view(user, Area.KNOWLEDGE):
            return Reader(client_ids=frozenset(), min_audience=Audience.STAFF, include_provider_wide=False)
        return Reader(
            client_ids=None if scope.all_clients else scope.client_ids,
            min_audience=Audience.STAFF,
            include_provider_wide=True,
        )
    person = client_person_of(user)
    if person is None:
        return Reader(client_ids=frozenset(), min_audience=Audience.END_USERS, include_provider_wide=False)
    return Reader(
        client_ids=frozenset({person.client_id}),
        min_audience=Audience.CLIENT if person.is_poc else Audience.END_USERS,
        include_provider_wide=True,
    )


def article_audience(article: Article) -> Audience:
    """Who the index may show an article to: its visibility once published; editors only before
    (a provider-wide draft is staff-only, a client draft is for its POCs and staff)."""
    if article.visibility == Visibility.INTERNAL:
        return Audience.STAFF
    if article.status != ArticleStatus.PUBLISHED:
        return Audience.STAFF if article.client_id is None else Audience.CLIENT
    return Audience.END_USERS if article.visibility == Visibility.END_USERS else Audience.CLIENT


def document_audience(document: Document) -> Audience:
    return Audience.CLIENT if document.visibility == Visibility.CLIENT else Audience.STAFF
