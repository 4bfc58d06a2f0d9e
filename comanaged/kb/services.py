"""Writes of articles (R34): versions, publishing, restore, links, tags, attachments.

Every write validates, saves, audits and re-indexes in one transaction; a refused write saves
nothing. The text of an article lives in immutable versions: an edit adds one, a restore adds
one that copies an old one, so the history is never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from comanaged.agreements.models import ListedApplication
from comanaged.core import audit, files, search
from comanaged.core.errors import ApplicationError, Problem
from comanaged.core.services import raise_problems
from comanaged.kb import access
from comanaged.kb.choices import ArticleStatus, Visibility
from comanaged.kb.errors import KbErrorCode
from comanaged.kb.indexing import ARTICLE, index_article
from comanaged.kb.models import Article, ArticleAttachment, ArticleVersion, Category, Tag
from comanaged.tenancy.models import Client, Site
from comanaged.tenancy.scoping import is_provider_staff
from comanaged.tickets.models import Ticket

TITLE_MAX = 200
BODY_MAX = 200_000  # characters: a long runbook is ~20k; more is a paste accident or an attack
NOTE_MAX = 200
TAGS_MAX = 20


class Keep:
    """The default of an optional argument that may also be set to None: leave it as it is."""


KEEP = Keep()
_TAG = re.compile(r"[a-z0-9][a-z0-9 ._+#-]{0,39}")


def clean_title(title: Any, field: str = "title") -> str:
    if not isinstance(title, str) or not title.replace("\x00", "").strip():
        raise ApplicationError(KbErrorCode.INVALID, "A title is needed.", field=field)
    title = " ".join(title.replace("\x00", "").split())
    if len(title) > TITLE_MAX:
        raise ApplicationError(KbErrorCode.TOO_LARGE, f"A title has at most {TITLE_MAX} characters.", field=field)
    return title


def clean_body(body: Any, field: str = "body") -> str:
    if not isinstance(body, str):
        raise ApplicationError(KbErrorCode.INVALID, "The text must be Markdown text.", field=field)
    if len(body) > BODY_MAX:
        raise ApplicationError(
            KbErrorCode.TOO_LARGE,
            f"The text has {len(body):,} characters; the limit is {BODY_MAX:,}. Split it into several articles.",
            field=field,
        )
    return body.replace("\x00", "").replace("\r\n", "\n")


def normalise_tags(names: Iterable[str]) -> list[str]:
    tags: list[str] = []
    for raw in names:
        name = " ".join(str(raw).lower().split())
        if not name:
            continue
        if not _TAG.fullmatch(name):
            raise ApplicationError(
                KbErrorCode.INVALID,
                f"Tag {name[:40]!r}: letters, digits, spaces and . _ + # - only, at most 40 characters.",
                field="tags",
            )
        if name not in tags:
            tags.append(name)
    if len(tags) > TAGS_MAX:
        raise ApplicationError(KbErrorCode.INVALID, f"At most {TAGS_MAX} tags.", field="tags")
    return tags


def _check_visibility(actor: Any, visibility: str, client: Client | None) -> None:
    if visibility not in Visibility.values:
        raise ApplicationError(KbErrorCode.INVALID, "Unknown visibility.", field="visibility")
    if visibility not in access.allowed_visibilities(actor):
        raise ApplicationError(
            KbErrorCode.VISIBILITY_NOT_ALLOWED,
            "Provider-only pages are written by the provider; choose POCs or everyone at your company.",
            field="visibility",
        )


def _set_tags(article: Article, names: Sequence[str]) -> None:
    tags = [Tag.objects.get_or_create(name=name)[0] for name in names]
    article.tags.set(tags)


def _add_version(article: Article, *, actor: Any, title: str, body: str, note: str) -> ArticleVersion:
    number = (article.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = ArticleVersion.objects.create(
        article=article,
        number=number,
        title=title,
        body=body,
        note=note[:NOTE_MAX],
        visibility=article.visibility,
        author=actor if getattr(actor, "pk", None) else None,
        author_label=audit.actor_label(actor),
    )
    article.current_version = version
    article.title = title
    return version


def _publish(article: Article) -> None:
    article.status = ArticleStatus.PUBLISHED
    article.published_version = article.current_version
    article.published_at = timezone.now()


def article_create(
    *,
    actor: Any,
    client: Client | None,
    title: str,
    body: str = "",
    visibility: str = Visibility.CLIENT,
    category: Category | None = None,
    tags: Sequence[str] = (),
    note: str = "",
    publish: bool = False,
) -> Article:
    """A new article of ``client`` (None: provider-wide, staff only), as a draft unless ``publish``."""
    access.require_write_for(actor, client)
    title, body = clean_title(title), clean_body(body)
    _check_visibility(actor, visibility, client)
    tag_names = normalise_tags(tags)
    with transaction.atomic():
        article = Article.objects.create(
            client=client,
            title=title,
            visibility=visibility,
            category=category,
            created_by=user_or_none(actor),
            updated_by=user_or_none(actor),
        )
        _add_version(article, actor=actor, title=title, body=body, note=note or "Created")
        if publish:
            _publish(article)
        article.save()
        _set_tags(article, tag_names)
        audit.record(actor=actor, action="create", instance=article, after=audit.snapshot(article))
        index_article(article)
    return article


def article_update(
    *,
    actor: Any,
    article: Article,
    title: str | None = None,
    body: str | None = None,
    visibility: str | None = None,
    category: Category | Keep | None = KEEP,
    tags: Sequence[str] | None = None,
    note: str = "",
    base_version: int | None = None,
    publish: bool = False,
) -> Article:
    """Change an article; a change of title or text adds a version. ``base_version`` is the
    version the editor started from: if someone saved since, the edit is refused rather than
    silently overwriting theirs. Without ``category`` the category stays as it is."""
    _require_edit(actor, article)
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        before = audit.snapshot(article)
        current = article.current_version
        if base_version is not None and current is not None and current.number != base_version:
            raise ApplicationError(
                KbErrorCode.VERSION_CONFLICT,
                f"Someone saved version {current.number} while you edited version {base_version}; "
                "open the article again and reapply your change.",
                field="body",
            )
        new_title = clean_title(title) if title is not None else article.title
        new_body = clean_body(body) if body is not None else (current.body if current else "")
        shared_now = False
        if visibility is not None:
            _check_visibility(actor, visibility, article.client)
            shared_now = article.visibility == Visibility.INTERNAL and visibility != Visibility.INTERNAL
            article.visibility = visibility
        if not isinstance(category, Keep):
            article.category = category
        if current is None or new_title != current.title or new_body != current.body or shared_now:
            # Shared with the client: a fresh version they may read; the provider-only ones stay hidden.
            if shared_now and not note:
                note = "Shared with the client"
            _add_version(article, actor=actor, title=new_title, body=new_body, note=note)
        if publish:
            _publish(article)
        article.updated_by = user_or_none(actor)
        article.save()
        if tags is not None:
            _set_tags(article, normalise_tags(tags))
        audit.record(actor=actor, action="update", instance=article, before=before, after=audit.snapshot(article))
        index_article(article)
    return article


def article_publish(*, actor: Any, article: Article) -> Article:
    return article_update(actor=actor, article=article, publish=True)


def article_set_status(*, actor: Any, article: Article, status: str) -> Article:
    """Publish, take back to draft, or archive (hidden from readers, kept with its history)."""
    _require_edit(actor, article)
    if status not in ArticleStatus.values:
        raise ApplicationError(KbErrorCode.INVALID, "Unknown status.", field="status")
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        before = audit.snapshot(article)
        if status == ArticleStatus.PUBLISHED:
            _publish(article)
        else:
            article.status = status
        article.updated_by = user_or_none(actor)
        article.save()
        audit.record(
            actor=actor, action=f"status:{status}", instance=article, before=before, after=audit.snapshot(article)
        )
        index_article(article)
    return article


def article_restore(*, actor: Any, article: Article, number: int) -> Article:
    """Bring back an old version's title and text as a new version."""
    _require_edit(actor, article)
    version = visible_versions(actor, article).filter(number=number).first()
    if version is None:
        raise ApplicationError(KbErrorCode.NOT_FOUND, f"Version {number} does not exist.", field="version")
    return article_update(
        actor=actor, article=article, title=version.title, body=version.body, note=f"Restored version {number}"
    )


def article_delete(*, actor: Any, article: Article) -> None:
    """Only provider staff delete (a POC archives); the versions and the attachments go with it."""
    if not (access.is_kb_editor(actor) and access.may_edit_article(actor, article)):
        raise PermissionDenied("Only the provider deletes articles; archive it instead.")
    keys = list(article.attachments.values_list("key", flat=True))
    with transaction.atomic():
        before = audit.snapshot(article)
        pk, label, client_id = article.pk, str(article), article.client_id
        article.delete()
        search.unindex(ARTICLE, pk)
        audit.record(
            actor=actor,
            action="delete",
            object_type="kb.article",
            object_id=str(pk),
            object_label=label,
            client_id=client_id,
            before=before,
        )
        transaction.on_commit(lambda: _forget_files(keys))


def article_links_set(
    *,
    actor: Any,
    article: Article,
    ticket_ids: Iterable[int] = (),
    site_ids: Iterable[int] = (),
    application_ids: Iterable[int] = (),
) -> Article:
    """Link the article to the client's tickets, sites and listed applications (never another
    client's: an unknown or foreign id is refused as not found)."""
    _require_edit(actor, article)
    wanted = {"tickets": set(ticket_ids), "sites": set(site_ids), "applications": set(application_ids)}
    if article.client_id is None and any(wanted.values()):
        raise ApplicationError(KbErrorCode.WRONG_CLIENT, "A provider-wide article links to no client's records.")
    models = {"tickets": Ticket, "sites": Site, "applications": ListedApplication}
    problems: list[Problem] = []
    found: dict[str, list[Any]] = {}
    for name, ids in wanted.items():
        rows = list(models[name].objects.filter(client=article.client, pk__in=ids)) if ids else []
        if len(rows) != len(ids):
            problems.append(Problem(KbErrorCode.NOT_FOUND, f"Some of the {name} do not exist for this client.", name))
        found[name] = rows
    raise_problems(problems)
    with transaction.atomic():
        before = audit.snapshot(article)
        for name, rows in found.items():
            getattr(article, name).set(rows)
        audit.record(actor=actor, action="links", instance=article, before=before, after=audit.snapshot(article))
    return article


def article_attach(*, actor: Any, article: Article, upload: UploadedFile) -> ArticleAttachment:
    _require_edit(actor, article)
    stored = files.store_upload(upload)
    try:
        with transaction.atomic():
            attachment = ArticleAttachment.objects.create(
                article=article,
                key=stored.key,
                name=stored.name,
                size=stored.size,
                content_type=stored.content_type,
                uploaded_by=user_or_none(actor),
            )
            audit.record(actor=actor, action="attach", instance=article, changes={"attachment": [None, stored.name]})
    except Exception:
        _forget_files([stored.key])
        raise
    return attachment


def article_attachment_delete(*, actor: Any, attachment: ArticleAttachment) -> None:
    _require_edit(actor, attachment.article)
    with transaction.atomic():
        key, name = attachment.key, attachment.name
        attachment.delete()
        audit.record(actor=actor, action="detach", instance=attachment.article, changes={"attachment": [name, None]})
        transaction.on_commit(lambda: _forget_files([key]))


def _forget_files(keys: Iterable[str]) -> None:
    """Remove stored bytes no row of any app refers to any more (content is shared)."""
    files.forget_unreferenced(keys)


def visible_versions(user: Any, article: Article) -> QuerySet[ArticleVersion]:
    """The versions a user may read in the history: all for staff; for the client, none saved
    while the article was provider-only."""
    versions = article.versions.all()
    return versions if is_provider_staff(user) else versions.exclude(visibility=Visibility.INTERNAL)


def _require_edit(actor: Any, article: Article) -> None:
    if not access.may_edit_article(actor, article):
        raise PermissionDenied("You may not change this article.")


def user_or_none(actor: Any) -> Any:
    """The acting user for a foreign key, or None for the system (a script, the demo seed)."""
    return actor if getattr(actor, "pk", None) else None
