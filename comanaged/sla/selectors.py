"""Reads of response-time terms."""

from __future__ import annotations

from typing import Any

from comanaged.sla.models import Clock, ResponseTarget, ResponseTerms
from comanaged.sla.policy import DEFAULT_RULES, DEFAULT_TARGETS, ClockRules, Target, TargetFact, targets


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


def agreement_rules(agreement: Any) -> ClockRules:
    """The agreement's warning share, pausing statuses and breach action (defaults without a row)."""
    if agreement is None:
        return DEFAULT_RULES
    terms = ResponseTerms.objects.filter(agreement=agreement).first()
    if terms is None:
        return DEFAULT_RULES
    pauses = {
        status
        for status, pauses in (
            ("waiting_on_client", terms.pause_waiting_on_client),
            ("waiting_on_vendor", terms.pause_waiting_on_vendor),
        )
        if pauses
    }
    return ClockRules(terms.warning_percent, frozenset(pauses), terms.breach_action)
