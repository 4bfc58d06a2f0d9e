"""Writes of the agreements app: the contract's life cycle (draft → active → terminated)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone

from comanaged.agreements.choices import AgreementStatus
from comanaged.agreements.errors import AgreementErrorCode as Code
from comanaged.agreements.models import Agreement, ListedApplication, VendorCoverage
from comanaged.agreements.policy import activation_problems
from comanaged.agreements.selectors import activation_facts
from comanaged.core import audit
from comanaged.core.errors import ApplicationError, Problem
from comanaged.core.services import raise_problems, save_audited
from comanaged.tenancy.models import Site
from comanaged.tenancy.services import client_add_to_team


def agreement_problems(agreement: Agreement, supported_offices: Iterable[Site] | None) -> list[Problem]:
    """Checks beyond the model's own: people and offices of the same client; an active agreement keeps
    everything activation required (R2, R3, R5, R6); a terminated one is closed."""
    problems: list[Problem] = []
    if agreement.signatory_id and agreement.signatory.client_id != agreement.client_id:  # type: ignore[union-attr]
        problems.append(Problem(Code.WRONG_CLIENT, "The signatory is a person of another client.", "signatory"))
    if supported_offices is not None:
        foreign = [site for site in supported_offices if site.client_id != agreement.client_id]
        if foreign:
            names = ", ".join(str(site) for site in foreign)
            problems.append(
                Problem(
                    Code.WRONG_CLIENT,
                    f"These sites belong to another client: {names}.",
                    "supported_offices",
                )
            )
    if agreement.status == AgreementStatus.TERMINATED and not agreement._state.adding:
        problems.append(Problem(Code.NOT_DRAFT, "A terminated agreement can no longer be changed.", None))
    elif agreement.status == AgreementStatus.ACTIVE:
        # Re-check the activation requirements as if the agreement were a draft again.
        facts = replace(activation_facts(agreement), status=AgreementStatus.DRAFT, client_has_other_active=False)
        problems.extend(activation_problems(facts))
    return problems


def _next_reference() -> str:
    year = timezone.now().year
    prefix = f"AGR-{year}-"
    last = (
        Agreement.objects.select_for_update()
        .filter(reference__startswith=prefix)
        .order_by(Length("reference").desc(), "-reference")  # AGR-2026-10000 after AGR-2026-9999
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def agreement_save(*, agreement: Agreement, actor: Any, supported_offices: Iterable[Site] | None = None) -> Agreement:
    """Create or update an agreement. The designated advisors join the client's team (so they
    see the client); an active agreement cannot lose what activation required."""
    offices = list(supported_offices) if supported_offices is not None else None
    with transaction.atomic():
        if agreement._state.adding and not agreement.reference:
            agreement.reference = _next_reference()
        save_audited(
            agreement,
            actor=actor,
            checks=[lambda: agreement_problems(agreement, offices)],
            m2m={"supported_offices": offices} if offices is not None else None,
        )
        _advisors_join_team(agreement, actor)
    return agreement


def _advisors_join_team(agreement: Agreement, actor: Any) -> None:
    for staff in (agreement.strategic_advisor, agreement.technology_alignment_engineer):
        if staff is not None:
            client_add_to_team(client=agreement.client, staff=staff, actor=actor)


def agreement_activate(*, agreement: Agreement, actor: Any, at: dt.datetime | None = None) -> Agreement:
    """Make a draft agreement active — refused, naming every missing field, while the backup
    add-on (R3), the advisors (R5), the fees (R2, R6) or the start date are missing."""
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        raise_problems(activation_problems(activation_facts(locked)))
        before = audit.snapshot(locked)
        locked.status = AgreementStatus.ACTIVE
        locked.activated_at = at or timezone.now()
        try:
            with transaction.atomic():
                locked.save(update_fields=["status", "activated_at", "updated_at"])
        except IntegrityError as error:  # another draft of this client was activated meanwhile
            raise ApplicationError(
                Code.ALREADY_ACTIVE, "The client already has an active agreement; terminate it first.", field="client"
            ) from error
        audit.record(actor=actor, action="activate", instance=locked, before=before, after=audit.snapshot(locked))
    agreement.refresh_from_db()
    return agreement


def agreement_terminate(
    *, agreement: Agreement, actor: Any, reason: str, ends_on: dt.date | None = None, at: dt.datetime | None = None
) -> Agreement:
    """End an active agreement. Provider property then falls due for return (R29)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status != AgreementStatus.ACTIVE:
            raise ApplicationError(Code.NOT_ACTIVE, "Only an active agreement can be terminated.", field="status")
        if not reason:
            raise ApplicationError(
                Code.TERMINATION_REASON_REQUIRED, "Say why the agreement ends.", field="termination_reason"
            )
        at = at or timezone.now()
        ends_on = ends_on or at.date()
        if locked.starts_on and ends_on < locked.starts_on:
            raise ApplicationError(
                Code.ENDS_BEFORE_START, "The agreement cannot end before it starts.", field="ends_on"
            )
        before = audit.snapshot(locked)
        locked.status = AgreementStatus.TERMINATED
        locked.terminated_at = at
        locked.termination_reason = reason[:300]
        locked.ends_on = ends_on
        locked.save(update_fields=["status", "terminated_at", "termination_reason", "ends_on", "updated_at"])
        audit.record(actor=actor, action="terminate", instance=locked, before=before, after=audit.snapshot(locked))
    agreement.refresh_from_db()
    return agreement


def listed_application_problems(application: ListedApplication) -> list[Problem]:
    problems: list[Problem] = []
    if application.agreement_id and application.client_id != application.agreement.client_id:
        problems.append(Problem(Code.WRONG_CLIENT, "The agreement belongs to another client.", "agreement"))
    if application.vendor_coverage_id and application.vendor_coverage.client_id != application.client_id:  # type: ignore[union-attr]
        problems.append(
            Problem(Code.WRONG_CLIENT, "That vendor coverage belongs to another client.", "vendor_coverage")
        )
    return problems


def listed_application_save(*, application: ListedApplication, actor: Any) -> ListedApplication:
    if application.agreement_id and not application.client_id:
        application.client_id = application.agreement.client_id
    return save_audited(application, actor=actor, checks=[lambda: listed_application_problems(application)])


def vendor_coverage_save(*, coverage: VendorCoverage, actor: Any) -> VendorCoverage:
    """Record the client's vendor/OEM support (R28); the support PIN is stored encrypted."""
    if coverage._state.adding and coverage.recorded_by_id is None and getattr(actor, "pk", None):
        coverage.recorded_by = actor
    return save_audited(coverage, actor=actor)
