"""Writes of documentation templates (the provider's) and environment documents (the client's,
which the POC may write, as MyGlue allows). Validate, save, audit and re-index atomically."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import slugify

from comanaged.agreements.models import ListedApplication, VendorCoverage
from comanaged.core import audit, search
from comanaged.core.errors import ApplicationError, Problem
from comanaged.core.services import raise_problems, save_audited
from comanaged.kb import access
from comanaged.kb.choices import Visibility
from comanaged.kb.errors import KbErrorCode
from comanaged.kb.fields import clean_values, parse_specs
from comanaged.kb.indexing import DOCUMENT, index_document
from comanaged.kb.models import Document, DocumentTemplate
from comanaged.kb.services import clean_body, clean_title, user_or_none
from comanaged.tenancy.models import Client, Site
from comanaged.tenancy.permissions import Area, can_edit


def require_template_editor(actor: Any) -> None:
    if not can_edit(actor, Area.KNOWLEDGE_TEMPLATES):
        raise PermissionDenied("Only an administrator, onboarding PM or TAE changes documentation templates.")


def template_save(
    *,
    actor: Any,
    template: DocumentTemplate | None = None,
    name: str,
    fields: Any,
    description: str = "",
    body_template: str = "",
    icon: str = "",
    is_runbook: bool = False,
    required_for_coverage: bool = False,
    is_active: bool = True,
) -> DocumentTemplate:
    """Create or change a template. A field that documents already fill in keeps its key and
    type: changing those would orphan or mistype what clients wrote."""
    require_template_editor(actor)
    specs = parse_specs(fields)
    name = clean_title(name, "name")[:120]
    template = template or DocumentTemplate(slug=_free_slug(name))
    if template.pk:
        _check_used_fields(template, {spec.key: spec.type for spec in specs})
    template.name = name
    template.fields = [spec.as_json() for spec in specs]
    template.description = description[:300]
    template.body_template = clean_body(body_template, "body_template")
    template.icon = icon if icon.replace("-", "").isalnum() else ""
    template.is_runbook = is_runbook
    template.required_for_coverage = required_for_coverage
    template.is_active = is_active
    return save_audited(template, actor=actor)


def _free_slug(name: str) -> str:
    base = slugify(name)[:50] or "template"
    slug, n = base, 2
    while DocumentTemplate.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_used_fields(template: DocumentTemplate, new_types: dict[str, str]) -> None:
    old_types = {item["key"]: item["type"] for item in template.fields}
    changed = [key for key, kind in old_types.items() if new_types.get(key) != kind]
    if not changed:
        return
    in_use = [
        key
        for key in changed
        if any(key in (values or {}) for values in template.documents.values_list("values", flat=True))
    ]
    if in_use:
        raise ApplicationError(
            KbErrorCode.TEMPLATE_IN_USE,
            f"Documents already hold values for {', '.join(sorted(in_use))}; "
            "add a new field instead of removing or retyping these.",
            field="fields",
        )


def document_save(
    *,
    actor: Any,
    client: Client,
    template: DocumentTemplate,
    document: Document | None = None,
    title: str | None = None,
    values: Any = None,
    body: str | None = None,
    visibility: str | None = None,
    application_ids: Iterable[int] | None = None,
    coverage_ids: Iterable[int] | None = None,
    site_ids: Iterable[int] | None = None,
) -> Document:
    """Create (``document`` None) or change a client's document. Values are typed by the
    template; links must be the client's own records (R28 coverage is linked, never copied)."""
    if document is None:
        access.require_write_for(actor, client)
        if not template.is_active:
            raise ApplicationError(KbErrorCode.INVALID, "This template is retired.", field="template")
        document = Document(
            client=client, template=template, created_by=user_or_none(actor), body=template.body_template
        )
    elif not access.may_edit_document(actor, document):
        raise PermissionDenied("You may not change this document.")
    if document.client_id != client.pk or document.template_id != template.pk:
        raise ApplicationError(KbErrorCode.WRONG_CLIENT, "The document belongs elsewhere.")
    document.title = clean_title(title if title is not None else document.title or template.name)
    if values is not None:
        document.values = clean_values(parse_specs(template.fields), values)
    if body is not None:
        document.body = clean_body(body)
    if visibility is not None:
        if visibility not in (Visibility.INTERNAL, Visibility.CLIENT) or visibility not in access.allowed_visibilities(
            actor
        ):
            raise ApplicationError(
                KbErrorCode.VISIBILITY_NOT_ALLOWED, "That visibility is not available.", field="visibility"
            )
        document.visibility = visibility
    document.updated_by = user_or_none(actor)
    links = _links(client, application_ids, coverage_ids, site_ids)
    with transaction.atomic():
        saved = save_audited(document, actor=actor, m2m=links, trusted=("client", "template"))
        index_document(saved)
    return saved


def _links(
    client: Client,
    application_ids: Iterable[int] | None,
    coverage_ids: Iterable[int] | None,
    site_ids: Iterable[int] | None,
) -> dict[str, list[Any]]:
    wanted = {"applications": application_ids, "vendor_coverages": coverage_ids, "sites": site_ids}
    models: dict[str, Any] = {"applications": ListedApplication, "vendor_coverages": VendorCoverage, "sites": Site}
    links: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for name, ids in wanted.items():
        if ids is None:
            continue
        ids = set(ids)
        rows = list(models[name].objects.filter(client=client, pk__in=ids)) if ids else []
        if len(rows) != len(ids):
            label = name.replace("_", " ")
            problems.append(Problem(KbErrorCode.NOT_FOUND, f"Some of the {label} do not exist for this client.", name))
        links[name] = rows
    raise_problems(problems)
    return links


def document_delete(*, actor: Any, document: Document) -> None:
    """Provider staff delete; a POC may delete what they can edit. Its credentials go with it."""
    if not access.may_edit_document(actor, document):
        raise PermissionDenied("You may not delete this document.")
    with transaction.atomic():
        pk = document.pk
        before = audit.snapshot(document)
        label = str(document)
        document.delete()
        search.unindex(DOCUMENT, pk)
        audit.record(
            actor=actor,
            action="delete",
            object_type="kb.document",
            object_id=str(pk),
            object_label=label,
            client_id=client_id_of(before),
            before=before,
        )


def client_id_of(snapshot: dict[str, Any]) -> int | None:
    value = snapshot.get("client_id")
    return int(value) if value is not None else None
