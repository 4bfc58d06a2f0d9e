"""R27: the documents Co-managed+ after-hours and PTO coverage needs, and whether they are done.

An agreement's checklist is its own (:class:`RunbookChecklist`) or, until someone changes it,
the templates marked *required for coverage* (after-hours escalation, password resets,
onboarding/offboarding, backup and restore contacts, critical LOB applications). An item is
complete when the client has a document of that template, readable by the POC, with every
required field filled in. The answer feeds the escalation policy through
``agreements.hooks.runbooks_complete`` — intake stays closed until every item is complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from comanaged.agreements.models import Agreement
from comanaged.core import audit
from comanaged.kb.choices import Visibility
from comanaged.kb.fields import FieldSpec, missing, parse_specs
from comanaged.kb.models import Document, DocumentTemplate, RunbookChecklist
from comanaged.tenancy.permissions import Area, can_edit


@dataclass(frozen=True)
class RunbookItem:
    """One line of the checklist: the template, the best document for it, what is missing."""

    template: DocumentTemplate
    document: Document | None
    missing_fields: tuple[FieldSpec, ...]

    @property
    def complete(self) -> bool:
        return self.document is not None and not self.missing_fields

    @property
    def state(self) -> str:
        if self.document is None:
            return "missing"
        return "complete" if not self.missing_fields else "incomplete"


@dataclass(frozen=True)
class RunbookStatus:
    items: tuple[RunbookItem, ...]
    customised: bool

    @property
    def complete(self) -> bool:
        return all(item.complete for item in self.items)

    @property
    def done(self) -> int:
        return sum(item.complete for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)


def required_templates(agreement: Agreement) -> tuple[list[DocumentTemplate], bool]:
    checklist = RunbookChecklist.objects.filter(agreement=agreement).first()
    if checklist is not None:
        return list(checklist.templates.order_by("position", "name")), True
    return list(DocumentTemplate.objects.filter(required_for_coverage=True, is_active=True)), False


def runbook_status(agreement: Agreement) -> RunbookStatus:
    templates, customised = required_templates(agreement)
    documents: dict[int, list[Document]] = {}
    for document in Document.objects.filter(
        client_id=agreement.client_id, template__in=templates, visibility=Visibility.CLIENT
    ).order_by("-updated_at"):
        documents.setdefault(document.template_id, []).append(document)
    items = []
    for template in templates:
        specs = parse_specs(template.fields)
        best: Document | None = None
        best_missing: list[FieldSpec] = []
        for document in documents.get(template.pk, []):
            gaps = missing(specs, document.values or {})
            if best is None or len(gaps) < len(best_missing):
                best, best_missing = document, gaps
        items.append(RunbookItem(template=template, document=best, missing_fields=tuple(best_missing)))
    return RunbookStatus(items=tuple(items), customised=customised)


def runbooks_complete(agreement: Agreement) -> bool:
    """R27, for the escalation policy. With no checklist of its own and no default template
    left (all retired), nothing says what must be documented: closed, not open (fail-closed);
    an agreement's own empty checklist is a decision someone made and recorded."""
    status = runbook_status(agreement)
    if not status.items and not status.customised:
        return False
    return status.complete


def runbook_checklist_set(
    *, actor: Any, agreement: Agreement, templates: Iterable[DocumentTemplate]
) -> RunbookChecklist:
    """Give the agreement its own list (an empty list means nothing is required)."""
    if not can_edit(actor, Area.AGREEMENTS):
        raise PermissionDenied("Only those who change agreements change their runbook checklist.")
    chosen = list(templates)
    with transaction.atomic():
        checklist, _ = RunbookChecklist.objects.get_or_create(agreement=agreement)
        before = sorted(checklist.templates.values_list("pk", flat=True))
        checklist.templates.set(chosen)
        checklist.updated_by = actor if getattr(actor, "pk", None) else None
        checklist.save()
        audit.record(
            actor=actor,
            action="runbook_checklist",
            instance=agreement,
            changes={"runbook_templates": [before, sorted(t.pk for t in chosen)]},
        )
    return checklist


def runbook_checklist_reset(*, actor: Any, agreement: Agreement) -> None:
    """Back to the provider's default list."""
    if not can_edit(actor, Area.AGREEMENTS):
        raise PermissionDenied("Only those who change agreements change their runbook checklist.")
    with transaction.atomic():
        deleted, _ = RunbookChecklist.objects.filter(agreement=agreement).delete()
        if deleted:
            audit.record(actor=actor, action="runbook_checklist_reset", instance=agreement, changes={})
