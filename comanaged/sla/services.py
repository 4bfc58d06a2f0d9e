"""Writes of response-time terms: targets per priority (R16, R9, R13) and the clock's behaviour.
Each validates, saves and audits in one transaction; a refused write saves nothing.

Terms are read when a clock starts (and when a change of the ticket re-targets it); changing
them does not re-target clocks already running."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from comanaged.agreements.choices import AgreementStatus
from comanaged.agreements.models import Agreement
from comanaged.core.errors import ApplicationError, CoreErrorCode, Problem
from comanaged.core.services import delete_audited, save_audited
from comanaged.sla.models import Clock, ResponseTarget, ResponseTerms
from comanaged.tenancy.models import BusinessHours


def _agreement_problems(agreement: Agreement | None, client_id: int | None) -> list[Problem]:
    if agreement is None:
        return []
    if client_id != agreement.client_id:
        return [Problem("wrong_client", "The agreement belongs to another client.", "agreement")]
    if agreement.status == AgreementStatus.TERMINATED:
        return [Problem("agreement_terminated", "A terminated agreement can no longer be changed.", "agreement")]
    return []


def response_target_problems(target: ResponseTarget) -> list[Problem]:
    """Same client as the agreement, an agreement still open, and the business-hours clock only
    on a calendar with working time (R13)."""
    problems = _agreement_problems(target.agreement if target.agreement_id else None, target.client_id)
    # Every stored interval is at least a minute long (model check), so any row is working time.
    if target.clock == Clock.BUSINESS_HOURS and not BusinessHours.objects.filter(client_id=target.client_id).exists():
        problems.append(
            Problem(
                "no_business_hours",
                "The client has no business hours, so a business-hours clock would never run: "
                "set the client's hours first, or use the 24x7 clock.",
                "clock",
            )
        )
    return problems


def response_target_save(*, target: ResponseTarget, actor: Any) -> ResponseTarget:
    """Set one priority's terms (minutes 1 … 30 days; the business-hours clock needs hours)."""
    if target.agreement_id and not target.client_id:
        target.client_id = target.agreement.client_id
    return save_audited(target, actor=actor, checks=[lambda: response_target_problems(target)])


def _locked(agreement: Agreement) -> Agreement:
    """The agreement's row, locked: two writers of its terms queue instead of both inserting."""
    return Agreement.objects.select_for_update().get(pk=agreement.pk)


def response_target_set(
    *,
    agreement: Agreement,
    priority: str,
    actor: Any,
    respond_minutes: int,
    vip_respond_minutes: int | None = None,
    resolve_minutes: int | None = None,
    clock: str = Clock.AROUND_THE_CLOCK,
) -> ResponseTarget:
    """Create or replace the agreement's terms for ``priority`` (R16, R9, R13)."""
    with transaction.atomic():
        locked = _locked(agreement)
        target = ResponseTarget.objects.filter(agreement=locked, priority=priority).first()
        if target is None:
            target = ResponseTarget(agreement=locked, client_id=locked.client_id, priority=priority)
        target.respond_minutes = respond_minutes
        target.vip_respond_minutes = vip_respond_minutes
        target.resolve_minutes = resolve_minutes
        target.clock = clock
        try:
            with transaction.atomic():
                return response_target_save(target=target, actor=actor)
        except IntegrityError as error:  # a writer the lock could not hold back (never on our paths)
            raise ApplicationError(CoreErrorCode.CONFLICT, "The terms changed meanwhile; try again.") from error


def response_target_reset(*, agreement: Agreement, priority: str, actor: Any) -> None:
    """Remove the agreement's terms for ``priority``: the R16 default applies again. Audited;
    nothing to do when it sets none."""
    with transaction.atomic():
        locked = _locked(agreement)
        target = ResponseTarget.objects.filter(agreement=locked, priority=priority).first()
        if target is None:
            return
        problems = _agreement_problems(locked, target.client_id)
        if problems:
            raise ApplicationError.from_problems(problems)
        delete_audited(target, actor=actor, note="back to the default")


TERMS_FIELDS = ("warning_percent", "pause_waiting_on_client", "pause_waiting_on_vendor", "breach_action")


def response_terms_problems(terms: ResponseTerms) -> list[Problem]:
    return _agreement_problems(terms.agreement if terms.agreement_id else None, terms.client_id)


def response_terms_save(*, terms: ResponseTerms, actor: Any) -> ResponseTerms:
    """Set how the agreement's clock behaves (warning share 1–99 %, pauses, breach action).
    Running clocks keep the warning share they started with."""
    if terms.agreement_id and not terms.client_id:
        terms.client_id = terms.agreement.client_id
    return save_audited(terms, actor=actor, checks=[lambda: response_terms_problems(terms)])


def response_terms_set(*, agreement: Agreement, actor: Any, **values: Any) -> ResponseTerms:
    """Create or replace the agreement's terms; a value left out takes its default."""
    with transaction.atomic():
        locked = _locked(agreement)
        terms = ResponseTerms.objects.filter(agreement=locked).first()
        if terms is None:
            terms = ResponseTerms(agreement=locked, client_id=locked.client_id)
        defaults = ResponseTerms()
        for field in TERMS_FIELDS:
            setattr(terms, field, values.get(field, getattr(defaults, field)))
        try:
            with transaction.atomic():
                return response_terms_save(terms=terms, actor=actor)
        except IntegrityError as error:
            raise ApplicationError(CoreErrorCode.CONFLICT, "The terms changed meanwhile; try again.") from error


def hours_in_use_problems(client: Any) -> list[Problem]:
    """R13: removing every business hour of a client whose agreement measures a priority on its
    business hours would leave those clocks nothing to run on."""
    if BusinessHours.objects.filter(client=client).exists():
        return []
    in_use = ResponseTarget.objects.filter(client=client, clock=Clock.BUSINESS_HOURS).exclude(
        agreement__status=AgreementStatus.TERMINATED
    )
    priorities = sorted(set(in_use.values_list("priority", flat=True)))
    if not priorities:
        return []
    return [
        Problem(
            "business_hours_in_use",
            f"The agreement measures {', '.join(priorities)} on business hours: keep at least one interval, "
            "or move those targets to the 24×7 clock first.",
            "opens",
        )
    ]
