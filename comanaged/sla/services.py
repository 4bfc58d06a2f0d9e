"""Writes of response-time terms."""

from __future__ import annotations

from typing import Any

from comanaged.core.errors import Problem
from comanaged.core.services import save_audited
from comanaged.sla.models import Clock, ResponseTarget
from comanaged.tenancy.models import BusinessHours


def response_target_problems(target: ResponseTarget) -> list[Problem]:
    problems = []
    if target.agreement_id and target.client_id != target.agreement.client_id:
        problems.append(Problem("wrong_client", "The agreement belongs to another client.", "agreement"))
    if target.clock == Clock.BUSINESS_HOURS and not BusinessHours.objects.filter(client_id=target.client_id).exists():
        problems.append(
            Problem("no_business_hours", "The client has no business hours: set them before this clock.", "clock")
        )
    return problems


def response_target_save(*, target: ResponseTarget, actor: Any) -> ResponseTarget:
    """Set one priority's terms (minutes 1 … 30 days; the business-hours clock needs hours)."""
    if target.agreement_id and not target.client_id:
        target.client_id = target.agreement.client_id
    return save_audited(target, actor=actor, checks=[lambda: response_target_problems(target)])
