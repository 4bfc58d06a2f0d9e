"""Reads of response-time terms."""

from __future__ import annotations

from typing import Any

from comanaged.sla.models import Clock, ResponseTarget
from comanaged.sla.policy import DEFAULT_TARGETS, Target, TargetFact, targets


def agreement_targets(agreement: Any) -> dict[str, Target]:
    """The agreement's target per priority (R16 defaults where it sets none); one query."""
    if agreement is None:
        return dict(DEFAULT_TARGETS)
    rows = ResponseTarget.objects.filter(agreement=agreement)
    return targets(
        TargetFact(
            r.priority, r.respond_minutes, r.vip_respond_minutes, r.resolve_minutes, r.clock == Clock.BUSINESS_HOURS
        )
        for r in rows
    )
