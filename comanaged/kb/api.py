"""REST endpoints of the knowledge base (R34) and the runbook checklist (R27).

Thin adapters around ``kb.services``, ``kb.documents``, ``kb.vault``, ``kb.runbooks`` and
``kb.selectors``. Who may do what is decided in ``kb.access`` (fail-closed): every lookup starts
from its querysets, so another client's article, document or credential is a 404 exactly like a
missing one; a row the caller may read but not change is a 403. Every write needs a
write-capable credential (``require_write``). No response carries a secret except the reveal.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from comanaged.agreements.models import Agreement
from comanaged.core.errors import ApplicationError, CoreErrorCode
from comanaged.core.pagination import page_of, require_write
from comanaged.kb import access, documents, runbooks, selectors, services, transfer, vault
from comanaged.kb.errors import KbErrorCode
from comanaged.kb.fields import missing, parse_specs
from comanaged.kb.markdown import render
from comanaged.kb.models import Article, Category, Credential, Document, DocumentTemplate
from comanaged.kb.schemas import (
    ArticleIn,
    ArticleLinksIn,
    ArticleOut,
    ArticlePatch,
    ArticleRestoreIn,
    ArticleStatusCode,
    ArticleStatusIn,
    ArticleSummaryOut,
    CategoryOut,
    CredentialAccessOut,
    CredentialIn,
    CredentialOut,
    CredentialPatch,
    DocumentFields,
    DocumentIn,
    DocumentOut,
    DocumentSummaryOut,
    ErrorOut,
    ImportReportOut,
    RevealIn,
    RevealOut,
    RunbookChecklistIn,
    RunbookStatusOut,
    SearchResultOut,
    TemplateIn,
    TemplateOut,
    VersionDetailOut,
    VersionOut,
)
from comanaged.tenancy.access import MAX_ID, client_person_of, ensure_edit, ensure_view, referenced, scoped_or_404
from comanaged.tenancy.api import Page, PageQuery
from comanaged.tenancy.models import Client
from comanaged.tenancy.permissions import Area, can_edit, can_view
from comanaged.tenancy.schemas import Id
from comanaged.tenancy.scoping import is_provider_staff
from comanaged.tickets.access import visible_tickets

router = Router(tags=["Knowledge base"])

# Refusals that are a conflict with the stored state rather than bad input.
CONFLICT_CODES = frozenset({KbErrorCode.VERSION_CONFLICT, KbErrorCode.TEMPLATE_IN_USE})
SEARCH_KINDS = ("article", "document", "ticket")

READERS = (
    "Provider staff read the articles of the clients in their scope and the provider-wide ones; a client's POC "
    "reads the client's articles (not provider-only ones) and published provider-wide ones; an end-user reads "
    "published articles meant for everyone at the company. Another client's article is a 404."
)
ARTICLE_EDITORS = (
    "Editors only: the provider's knowledge roles (any article in their scope) and the client's POC (the "
    "client's articles that are not provider-only); a reader gets 403, another client's article 404."
)
DOCUMENT_READERS = (
    "Provider staff (clients in their scope) and the client's POC (documents not marked provider-only); "
    "end-users read no documents. Another client's document is a 404."
)
DOCUMENT_EDITORS = (
    "The provider's knowledge roles and the client's POC (documents not marked provider-only); a reader gets "
    "403, another client's document 404."
)


# --- helpers -----------------------------------------------------------------------------------


class ArticlePage(Page):
    items: list[ArticleSummaryOut]


class VersionPage(Page):
    items: list[VersionOut]


class DocumentPage(Page):
    items: list[DocumentSummaryOut]


class CredentialAccessPage(Page):
    items: list[CredentialAccessOut]


class ArticleFilters(PageQuery):
    client_id: Id | None = None
    provider_wide: bool | None = Field(None, description="true: provider-wide only; false: clients' only")
    category_id: Id | None = None
    tag: str | None = Field(None, max_length=40)
    status: ArticleStatusCode | None = None


class DocumentFilters(PageQuery):
    client_id: Id | None = None
    template_id: Id | None = None


class AccessFilters(PageQuery):
    client_id: Id | None = None


class SearchQuery(Schema):
    q: str = Field(max_length=1_000, description="Words; every word must match (as a prefix)")
    kinds: str | None = Field(
        None, max_length=100, description="Comma-separated: article, document, ticket (staff only); default all"
    )
    limit: int = Field(20, ge=1, le=100)


class TemplateFilters(Schema):
    include_retired: bool = Field(False, description="Template editors only: also retired templates")


def _bounded(pk: int) -> None:
    if not 1 <= pk <= MAX_ID:
        raise Http404


def _conflict(error: ApplicationError) -> Status[dict[str, Any]]:
    """A 409 in the API's error shape (a stale ``base_version``, a template field in use)."""
    problems = list(error.problems)
    return Status(
        409,
        {
            "code": problems[0].code,
            "message": "; ".join(p.message for p in problems),
            "field": problems[0].field,
            "problems": [{"code": p.code, "message": p.message, "field": p.field} for p in problems],
        },
    )


def _category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ApplicationError(KbErrorCode.NOT_FOUND, "No such category.", field="category_id")
    return category


def _article(request: HttpRequest, article_id: int) -> Article:
    _bounded(article_id)
    article = (
        access.visible_articles(request.user)
        .select_related("category", "current_version", "published_version")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise Http404
    return article


def _editable_article(request: HttpRequest, article_id: int) -> Article:
    article = _article(request, article_id)
    if not access.may_edit_article(request.user, article):
        raise PermissionDenied("Only the article's editors see its history.")
    return article


def _article_summary(user: Any, article: Article) -> dict[str, Any]:
    version = selectors.readable_version(user, article)
    return {
        "id": article.pk,
        "client_id": article.client_id,
        "title": version.title if version is not None else article.title,
        "status": article.status,
        "visibility": article.visibility,
        "category": article.category,
        "tags": [tag.name for tag in article.tags.all()],
        "version": version.number if version is not None else None,
        # Only an editor learns that a draft exists (asked only then: one access check per row).
        "has_unpublished_changes": article.has_unpublished_changes and access.shows_draft(user, article),
        "published_at": article.published_at,
        "updated_at": article.updated_at,
    }


def _article_out(request: HttpRequest, article: Article) -> dict[str, Any]:
    user = request.user
    version = selectors.readable_version(user, article)
    body = version.body if version is not None else ""
    return {
        **_article_summary(user, article),
        "body": body,
        "body_html": str(render(body)),
        "links": {
            # A linked ticket shows only to someone who may see it (an end-user: their own).
            "ticket_ids": list(visible_tickets(user, article.tickets.all()).values_list("pk", flat=True)),
            "site_ids": list(article.sites.values_list("pk", flat=True)),
            "application_ids": list(article.applications.values_list("pk", flat=True)),
        },
        "may_edit": access.may_edit_article(user, article),
        "created_at": article.created_at,
    }


def _version_out(article: Article, version: Any) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "note": version.note,
        "author": version.author_label,
        "created_at": version.created_at,
        "is_current": version.pk == article.current_version_id,
        "is_published": version.pk == article.published_version_id,
    }


def _require_documentation_reader(user: Any) -> None:
    """Templates are read by those who read documents: the provider's staff and the POCs."""
    if is_provider_staff(user) and can_view(user, Area.KNOWLEDGE):
        return
    person = client_person_of(user)
    if person is None or not person.is_poc:
        raise PermissionDenied("Documentation templates are for the provider's staff and the POCs.")


def _document(request: HttpRequest, document_id: int) -> Document:
    _bounded(document_id)
    document = access.visible_documents(request.user).select_related("template").filter(pk=document_id).first()
    if document is None:
        raise Http404
    return document


def _document_out(request: HttpRequest, document: Document) -> dict[str, Any]:
    user = request.user
    template = document.template
    values = document.values or {}
    return {
        "id": document.pk,
        "client_id": document.client_id,
        "template": template,
        "fields": template.fields,
        "title": document.title,
        "values": values,
        "missing_fields": [spec.label for spec in missing(parse_specs(template.fields), values)],
        "body": document.body,
        "body_html": str(render(document.body)),
        "visibility": document.visibility,
        "links": {
            "application_ids": list(document.applications.values_list("pk", flat=True)),
            "coverage_ids": list(document.vendor_coverages.values_list("pk", flat=True)),
            "site_ids": list(document.sites.values_list("pk", flat=True)),
        },
        "credentials": list(access.visible_credentials(user).filter(document=document)),
        "may_edit": access.may_edit_document(user, document),
        "created_at": document.created_at,
        "updated_at": document.updated_at,
    }


def _credential(request: HttpRequest, credential_id: int) -> Credential:
    _bounded(credential_id)
    credential = (
        access.visible_credentials(request.user)
        .select_related("document", "document__template")
        .filter(pk=credential_id)
        .first()
    )
    if credential is None:
        raise Http404
    return credential


def _ip_address(request: HttpRequest) -> str | None:
    value = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _agreement(request: HttpRequest, agreement_id: int, *, edit: bool = False) -> Agreement:
    """The agreement if the caller may see it (else 404, like a missing one), then the role."""
    if edit:
        agreement: Agreement = scoped_or_404(Agreement.objects, request.user, agreement_id)
        ensure_edit(request, Area.AGREEMENTS)
        return agreement
    ensure_view(request, Area.AGREEMENTS)
    return scoped_or_404(Agreement.objects, request.user, agreement_id)


def _runbooks_out(agreement: Agreement) -> dict[str, Any]:
    status = runbooks.runbook_status(agreement)
    return {
        "agreement_id": agreement.pk,
        "customised": status.customised,
        "complete": status.complete,
        "done": status.done,
        "total": status.total,
        "items": [
            {
                "template": item.template,
                "state": item.state,
                "complete": item.complete,
                "document_id": item.document.pk if item.document is not None else None,
                "missing_fields": [spec.label for spec in item.missing_fields],
            }
            for item in status.items
        ],
    }


# --- categories --------------------------------------------------------------------------------


@router.get(
    "/kb/categories",
    response=list[CategoryOut],
    summary="The provider's article categories",
    description="Anyone signed in (names only). Provider administrators manage them.",
)
def list_categories(request: HttpRequest) -> Any:
    return Category.objects.all()


# --- articles ----------------------------------------------------------------------------------


@router.get(
    "/kb/articles",
    response=ArticlePage,
    summary="Articles the caller may read",
    description=READERS + " Readers see the published title and version, editors the newest draft.",
)
def list_articles(request: HttpRequest, response: HttpResponse, filters: Query[ArticleFilters]) -> Any:
    user = request.user
    articles = selectors.article_list(
        user,
        client_id=filters.client_id,
        provider_wide=filters.provider_wide,
        category_id=filters.category_id,
        tag=filters.tag,
        status=filters.status,
    ).select_related("current_version", "published_version")
    articles = articles.defer("current_version__body", "published_version__body")
    page = page_of(
        request,
        response,
        articles,
        filters,
        default="title",
        allowed={"title": "title", "created_at": "created_at", "updated_at": "updated_at"},
    )
    return {"items": [_article_summary(user, article) for article in page["items"]], "next": page["next"]}


@router.post(
    "/kb/articles",
    response={201: ArticleOut},
    summary="Write an article (a draft unless publish)",
    description=(
        "For a client: the provider's knowledge roles (clients in their scope) and the client's POC (not "
        "provider-only). Provider-wide (`client_id` null): the provider's knowledge roles only. Audited."
    ),
)
def create_article(request: HttpRequest, payload: ArticleIn) -> Any:
    require_write(request)
    user = request.user
    client = referenced(Client.objects, user, payload.client_id, "client_id")
    article = services.article_create(
        actor=user,
        client=client,
        title=payload.title,
        body=payload.body,
        visibility=payload.visibility,
        category=_category(payload.category_id),
        tags=payload.tags,
        note=payload.note,
        publish=payload.publish,
    )
    return Status(201, _article_out(request, _article(request, article.pk)))


@router.get(
    "/kb/articles/{article_id}",
    response=ArticleOut,
    summary="An article: the version the caller reads",
    description=READERS + " Editors read the newest version and see `has_unpublished_changes`.",
)
def get_article(request: HttpRequest, article_id: int) -> Any:
    return _article_out(request, _article(request, article_id))


@router.patch(
    "/kb/articles/{article_id}",
    response={200: ArticleOut, 409: ErrorOut},
    summary="Change an article (a new version when the text changes)",
    description=ARTICLE_EDITORS
    + " Send `base_version` (the version you edited): if someone saved since, 409 and nothing is saved.",
)
def update_article(request: HttpRequest, article_id: int, payload: ArticlePatch) -> Any:
    require_write(request)
    article = _article(request, article_id)
    data = payload.dict(exclude_unset=True)
    try:
        article = services.article_update(
            actor=request.user,
            article=article,
            title=payload.title,
            body=payload.body,
            visibility=payload.visibility,
            category=_category(payload.category_id) if "category_id" in data else services.KEEP,
            tags=payload.tags,
            note=payload.note,
            base_version=payload.base_version,
            publish=payload.publish,
        )
    except ApplicationError as error:
        if error.code in CONFLICT_CODES:
            return _conflict(error)
        raise
    return _article_out(request, _article(request, article.pk))


@router.post(
    "/kb/articles/{article_id}/status",
    response=ArticleOut,
    summary="Publish, take back to draft, or archive",
    description=ARTICLE_EDITORS + " Archived articles are hidden from readers and keep their history.",
)
def set_article_status(request: HttpRequest, article_id: int, payload: ArticleStatusIn) -> Any:
    require_write(request)
    article = services.article_set_status(
        actor=request.user, article=_article(request, article_id), status=payload.status
    )
    return _article_out(request, _article(request, article.pk))


@router.get(
    "/kb/articles/{article_id}/versions",
    response=VersionPage,
    summary="An article's history, newest first",
    description=ARTICLE_EDITORS,
)
def list_versions(request: HttpRequest, response: HttpResponse, article_id: int, paging: Query[PageQuery]) -> Any:
    article = _editable_article(request, article_id)
    page = page_of(
        request,
        response,
        services.visible_versions(request.user, article).defer("body"),
        paging,
        default="-number",
        allowed={"number": "number"},
    )
    return {"items": [_version_out(article, version) for version in page["items"]], "next": page["next"]}


@router.get(
    "/kb/articles/{article_id}/versions/{number}",
    response=VersionDetailOut,
    summary="One version of an article, with its text",
    description=ARTICLE_EDITORS,
)
def get_version(request: HttpRequest, article_id: int, number: int) -> Any:
    article = _editable_article(request, article_id)
    versions = services.visible_versions(request.user, article)
    version = versions.filter(number=number).first() if 1 <= number < 2**31 else None
    if version is None:
        raise Http404
    return {**_version_out(article, version), "body": version.body, "body_html": str(render(version.body))}


@router.post(
    "/kb/articles/{article_id}/restore",
    response=ArticleOut,
    summary="Bring back an old version (as a new version)",
    description=ARTICLE_EDITORS + " The history is never rewritten. Audited.",
)
def restore_article(request: HttpRequest, article_id: int, payload: ArticleRestoreIn) -> Any:
    require_write(request)
    article = services.article_restore(
        actor=request.user, article=_article(request, article_id), number=payload.version
    )
    return _article_out(request, _article(request, article.pk))


@router.put(
    "/kb/articles/{article_id}/links",
    response=ArticleOut,
    summary="Link the article to the client's tickets, sites and applications",
    description=ARTICLE_EDITORS
    + " Replaces every link. Only the article's client's records: an unknown or foreign id is refused "
    "(`not_found`) and nothing changes. A provider-wide article links to nothing.",
)
def set_article_links(request: HttpRequest, article_id: int, payload: ArticleLinksIn) -> Any:
    require_write(request)
    article = services.article_links_set(
        actor=request.user,
        article=_article(request, article_id),
        ticket_ids=payload.ticket_ids,
        site_ids=payload.site_ids,
        application_ids=payload.application_ids,
    )
    return _article_out(request, _article(request, article.pk))


@router.delete(
    "/kb/articles/{article_id}",
    response={204: None},
    summary="Delete an article and its history",
    description="The provider's knowledge roles only (a POC archives instead: 403). Audited.",
)
def delete_article(request: HttpRequest, article_id: int) -> Any:
    require_write(request)
    services.article_delete(actor=request.user, article=_article(request, article_id))
    return Status(204, None)


# --- documentation templates -------------------------------------------------------------------


@router.get(
    "/kb/templates",
    response=list[TemplateOut],
    summary="Documentation templates (what is documented, with typed fields)",
    description="The provider's staff and the POCs. Retired templates only for template editors who ask.",
)
def list_templates(request: HttpRequest, filters: Query[TemplateFilters]) -> Any:
    user = request.user
    _require_documentation_reader(user)
    if filters.include_retired and is_provider_staff(user) and can_edit(user, Area.KNOWLEDGE_TEMPLATES):
        return DocumentTemplate.objects.order_by("position", "name")
    return selectors.active_templates()


@router.post(
    "/kb/templates",
    response={201: TemplateOut},
    summary="Create a documentation template",
    description="Administrators, onboarding PMs and TAEs. Audited.",
)
def create_template(request: HttpRequest, payload: TemplateIn) -> Any:
    require_write(request)
    data = payload.dict()
    fields = [field.dict() for field in payload.fields]
    data.pop("fields")
    return Status(201, documents.template_save(actor=request.user, fields=fields, **data))


@router.put(
    "/kb/templates/{template_id}",
    response={200: TemplateOut, 409: ErrorOut},
    summary="Change a documentation template",
    description=(
        "Administrators, onboarding PMs and TAEs. A field documents already fill in keeps its key and type "
        "(409 otherwise). Audited."
    ),
)
def update_template(request: HttpRequest, template_id: int, payload: TemplateIn) -> Any:
    require_write(request)
    user = request.user
    _require_documentation_reader(user)
    _bounded(template_id)
    template = DocumentTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise Http404
    data = payload.dict()
    data.pop("fields")
    try:
        return documents.template_save(
            actor=user, template=template, fields=[field.dict() for field in payload.fields], **data
        )
    except ApplicationError as error:
        if error.code in CONFLICT_CODES:
            return _conflict(error)
        raise


# --- documents ---------------------------------------------------------------------------------


@router.get(
    "/kb/documents",
    response=DocumentPage,
    summary="The clients' environment documents",
    description=DOCUMENT_READERS,
)
def list_documents(request: HttpRequest, response: HttpResponse, filters: Query[DocumentFilters]) -> Any:
    documents_ = selectors.document_list(request.user, client_id=filters.client_id, template_id=filters.template_id)
    return page_of(
        request,
        response,
        documents_,
        filters,
        default="title",
        allowed={"title": "title", "created_at": "created_at", "updated_at": "updated_at"},
    )


def _check_document_visibility(user: Any, visibility: str | None) -> None:
    """Refuse a visibility the caller may not choose before anything is looked up or saved
    (``documents.document_save`` refuses it too, in the same words)."""
    if visibility is not None and visibility not in access.allowed_visibilities(user):
        raise ApplicationError(
            KbErrorCode.VISIBILITY_NOT_ALLOWED, "That visibility is not available.", field="visibility"
        )


def _links_of(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data.get(name) for name in ("application_ids", "coverage_ids", "site_ids")}


@router.post(
    "/kb/documents",
    response={201: DocumentOut},
    summary="Document part of a client's environment from a template",
    description=(
        "The provider's knowledge roles (clients in their scope) and the client's POC. Values are typed by the "
        "template; links must be the client's own records. Audited."
    ),
)
def create_document(request: HttpRequest, payload: DocumentIn) -> Any:
    require_write(request)
    user = request.user
    client = referenced(Client.objects, user, payload.client_id, "client_id")
    template = DocumentTemplate.objects.filter(pk=payload.template_id).first()
    if template is None:
        raise ApplicationError(KbErrorCode.NOT_FOUND, "No such template.", field="template_id")
    _check_document_visibility(user, payload.visibility)
    data = payload.dict()
    document = documents.document_save(
        actor=user,
        client=client,
        template=template,
        title=payload.title,
        values=payload.values,
        body=payload.body,
        visibility=payload.visibility,
        **_links_of(data),
    )
    return Status(201, _document_out(request, _document(request, document.pk)))


@router.get(
    "/kb/documents/{document_id}",
    response=DocumentOut,
    summary="A document: values, text, links and its credentials (without secrets)",
    description=DOCUMENT_READERS + " Credentials are listed to those who may edit the document.",
)
def get_document(request: HttpRequest, document_id: int) -> Any:
    return _document_out(request, _document(request, document_id))


@router.patch(
    "/kb/documents/{document_id}",
    response=DocumentOut,
    summary="Change a document",
    description=DOCUMENT_EDITORS + " `values` replaces every value. Audited.",
)
def update_document(request: HttpRequest, document_id: int, payload: DocumentFields) -> Any:
    require_write(request)
    document = _document(request, document_id)
    _check_document_visibility(request.user, payload.visibility)
    data = payload.dict(exclude_unset=True)
    saved = documents.document_save(
        actor=request.user,
        client=document.client,
        template=document.template,
        document=document,
        title=payload.title,
        values=payload.values,
        body=payload.body,
        visibility=payload.visibility,
        **_links_of(data),
    )
    return _document_out(request, _document(request, saved.pk))


@router.delete(
    "/kb/documents/{document_id}",
    response={204: None},
    summary="Delete a document and its credentials",
    description=DOCUMENT_EDITORS + " Audited.",
)
def delete_document(request: HttpRequest, document_id: int) -> Any:
    require_write(request)
    documents.document_delete(actor=request.user, document=_document(request, document_id))
    return Status(204, None)


# --- credentials -------------------------------------------------------------------------------


@router.post(
    "/kb/documents/{document_id}/credentials",
    response={201: CredentialOut},
    summary="Keep a login with a document (secrets encrypted, write-only)",
    description=DOCUMENT_EDITORS + " The response says which secrets are set, never what they are. Audited.",
)
def create_credential(request: HttpRequest, document_id: int, payload: CredentialIn) -> Any:
    require_write(request)
    credential = vault.credential_save(
        actor=request.user,
        document=_document(request, document_id),
        name=payload.name,
        username=payload.username,
        url=payload.url,
        password=payload.password,
        notes=payload.notes,
        totp_seed=payload.totp_seed,
    )
    return Status(201, credential)


@router.patch(
    "/kb/credentials/{credential_id}",
    response=CredentialOut,
    summary="Change a credential",
    description=DOCUMENT_EDITORS.replace("document", "credential's document", 1)
    + " A secret left out or null stays as it is; an empty string clears it. Audited.",
)
def update_credential(request: HttpRequest, credential_id: int, payload: CredentialPatch) -> Any:
    require_write(request)
    credential = _credential(request, credential_id)
    data = payload.dict(exclude_unset=True)
    secrets = {name: data[name] for name in ("password", "notes", "totp_seed") if name in data}
    return vault.credential_save(
        actor=request.user,
        document=credential.document,
        credential=credential,
        name=payload.name if payload.name is not None else credential.name,
        username=payload.username if payload.username is not None else credential.username,
        url=payload.url if payload.url is not None else credential.url,
        **secrets,
    )


@router.delete(
    "/kb/credentials/{credential_id}",
    response={204: None},
    summary="Delete a credential",
    description="Those who may edit its document. The reveal log keeps its label. Audited.",
)
def delete_credential(request: HttpRequest, credential_id: int) -> Any:
    require_write(request)
    vault.credential_delete(actor=request.user, credential=_credential(request, credential_id))
    return Status(204, None)


def _check_secret_present(request: HttpRequest, credential_id: int, field: str) -> None:
    """For a caller who may reveal this credential, say plainly that the secret is empty
    (400 ``no_secret``); anyone else goes on to the vault, which logs and refuses them."""
    if field == "totp" or not 1 <= credential_id <= MAX_ID:
        return
    credential = access.visible_credentials(request.user).filter(pk=credential_id).first()
    if credential is not None and getattr(credential, field) is None:
        label = "password" if field == "password" else "secure notes"
        raise ApplicationError(KbErrorCode.NO_SECRET, f"This credential has no {label}.", field="field")


@router.post(
    "/kb/credentials/{credential_id}/reveal",
    response={200: RevealOut, 429: ErrorOut},
    summary="Reveal one secret (logged; rate limited)",
    description=(
        "The provider's knowledge roles (clients in their scope) and the client's POC (credentials of documents "
        "not marked provider-only); needs a write-capable token. Every attempt is logged in the client's reveal "
        "log — refused ones too. Someone without access gets 404 like a missing credential; too many reveals in "
        "the window gives 429 (`rate_limited`). For `totp` the value is the current one-time code."
    ),
)
def reveal_secret(request: HttpRequest, response: HttpResponse, credential_id: int, payload: RevealIn) -> Any:
    require_write(request)
    response["Cache-Control"] = "no-store"
    _check_secret_present(request, credential_id, payload.field)
    revealed = vault.credential_reveal(
        actor=request.user,
        credential_id=credential_id if 1 <= credential_id <= MAX_ID else 0,
        field=payload.field,
        ip_address=_ip_address(request),
    )
    return {"field": revealed.field, "value": revealed.value, "valid_for_seconds": revealed.valid_for_seconds}


@router.get(
    "/kb/credential-accesses",
    response=CredentialAccessPage,
    summary="Who revealed (or tried to reveal) the clients' secrets",
    description=(
        "Provider staff (clients in their scope) and a client's POC (their client). Newest first. The address "
        "an attempt came from is shown to provider staff only."
    ),
)
def list_credential_accesses(request: HttpRequest, response: HttpResponse, filters: Query[AccessFilters]) -> Any:
    user = request.user
    log = selectors.credential_log(user, client_id=filters.client_id)
    page = page_of(request, response, log, filters, default="-at", allowed={"at": "at"})
    staff = is_provider_staff(user)
    items = [
        {
            "id": row.pk,
            "client_id": row.client_id,
            "credential_id": row.credential_id,
            "credential_label": row.credential_label,
            "user_label": row.user_label,
            "field": row.field,
            "outcome": row.outcome,
            "ip_address": row.ip_address if staff else None,
            "at": row.at,
        }
        for row in page["items"]
    ]
    return {"items": items, "next": page["next"]}


# --- runbooks (R27) ----------------------------------------------------------------------------


@router.get(
    "/kb/agreements/{agreement_id}/runbooks",
    response=RunbookStatusOut,
    summary="R27: the documents coverage needs, and whether they are complete",
    description=(
        "Whoever may read the agreement (provider staff in scope, the client's POC). An item is complete when "
        "the client has a document of the template, readable by the POC, with every required field filled in."
    ),
)
def get_runbooks(request: HttpRequest, agreement_id: int) -> Any:
    return _runbooks_out(_agreement(request, agreement_id))


@router.put(
    "/kb/agreements/{agreement_id}/runbooks",
    response=RunbookStatusOut,
    summary="R27: give the agreement its own checklist",
    description="Those who may change agreements. Active templates only; [] requires nothing. Audited.",
)
def set_runbooks(request: HttpRequest, agreement_id: int, payload: RunbookChecklistIn) -> Any:
    agreement = _agreement(request, agreement_id, edit=True)
    wanted = set(payload.template_ids)
    templates = list(DocumentTemplate.objects.filter(pk__in=wanted, is_active=True)) if wanted else []
    if len(templates) != len(wanted):
        raise ApplicationError(
            KbErrorCode.NOT_FOUND, "Some of the templates do not exist or are retired.", field="template_ids"
        )
    runbooks.runbook_checklist_set(actor=request.user, agreement=agreement, templates=templates)
    return _runbooks_out(agreement)


@router.delete(
    "/kb/agreements/{agreement_id}/runbooks",
    response=RunbookStatusOut,
    summary="R27: back to the provider's default checklist",
    description="Those who may change agreements. Answers the checklist that applies now. Audited.",
)
def reset_runbooks(request: HttpRequest, agreement_id: int) -> Any:
    agreement = _agreement(request, agreement_id, edit=True)
    runbooks.runbook_checklist_reset(actor=request.user, agreement=agreement)
    return _runbooks_out(agreement)


# --- search ------------------------------------------------------------------------------------


@router.get(
    "/kb/search",
    response=list[SearchResultOut],
    summary="Search articles, documents and (staff) tickets",
    description=(
        "Every result is one the caller may open: the index is scoped to the caller, and each row is checked "
        "again against what they may read. The snippet is safe HTML (escaped, matches in `<mark>`)."
    ),
)
def search(request: HttpRequest, query: Query[SearchQuery]) -> Any:
    kinds: tuple[str, ...] | None = None
    if query.kinds:
        kinds = tuple(kind.strip() for kind in query.kinds.split(",") if kind.strip())
        unknown = [kind for kind in kinds if kind not in SEARCH_KINDS]
        if unknown:
            raise ApplicationError(CoreErrorCode.INVALID, f"Search kinds are {', '.join(SEARCH_KINDS)}.", field="kinds")
    results = selectors.search_for(request.user, query.q, kinds=kinds, limit=query.limit)
    return [
        {
            "kind": result.kind,
            "id": result.object.pk,
            "title": result.title,
            "snippet": result.snippet,
            "client_id": getattr(result.object, "client_id", None),
            "client_name": result.client_name,
        }
        for result in results
    ]


# --- export and import -------------------------------------------------------------------------


@router.get(
    "/kb/clients/{client_id}/export",
    response={200: None},
    summary="Download a client's knowledge base as Markdown files (zip)",
    description=(
        "Whoever may write the client's documentation: its POCs, the provider's knowledge roles in scope (403 "
        "otherwise; another client is a 404). Articles and documents the caller can read, as `application/zip`; "
        "secrets are never exported. Audited."
    ),
    openapi_extra={
        "responses": {"200": {"description": "A zip of Markdown files", "content": {"application/zip": {}}}}
    },
)
def export_kb(request: HttpRequest, client_id: int) -> Any:
    client = scoped_or_404(Client.objects, request.user, client_id)
    name, data = transfer.export_zip(actor=request.user, client=client)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/kb/clients/{client_id}/import",
    response=ImportReportOut,
    summary="Import Markdown files (one .md or a .zip) as draft articles",
    description=(
        "Multipart, the file in `file`. Whoever may write the client's documentation (see export). Each Markdown "
        "file becomes a draft article for the POCs; a file that cannot be imported is listed in `skipped` with "
        "the reason; an upload that is not Markdown or a zip of it is refused (`import_invalid`, 400) and "
        "creates nothing. Audited."
    ),
)
def import_kb(request: HttpRequest, client_id: int, file: File[UploadedFile]) -> Any:
    require_write(request)
    client = scoped_or_404(Client.objects, request.user, client_id)
    report = transfer.import_markdown(actor=request.user, client=client, upload=file)
    return {
        "created": report.created,
        "skipped": [{"name": name, "reason": reason} for name, reason in report.skipped],
    }
