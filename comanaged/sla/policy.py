"""Which target applies to a ticket (R16, R9) — pure functions over plain facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from comanaged.agreements.policy import RESPOND_TARGETS


@dataclass(frozen=True)
class Target:
    respond: dt.timedelta
    vip_respond: dt.timedelta
    resolve: dt.timedelta | None = None
    business_hours: bool = False  # False: the 24×7 clock (R13)

    def respond_for(self, *, vip: bool) -> dt.timedelta:
        """R9: a VIP's target when the agreement sets one (by default the same as everyone's)."""
        return self.vip_respond if vip else self.respond


DEFAULT_TARGETS = {priority: Target(target, target) for priority, target in RESPOND_TARGETS.items()}


@dataclass(frozen=True)
class TargetFact:
    priority: str
    respond_minutes: int
    vip_respond_minutes: int | None
    resolve_minutes: int | None
    business_hours: bool


def targets(facts: Iterable[TargetFact]) -> dict[str, Target]:
    """Each priority's target: the agreement's row, else the R16 default."""
    result = dict(DEFAULT_TARGETS)
    for fact in facts:
        respond = dt.timedelta(minutes=fact.respond_minutes)
        result[fact.priority] = Target(
            respond=respond,
            vip_respond=dt.timedelta(minutes=fact.vip_respond_minutes) if fact.vip_respond_minutes else respond,
            resolve=dt.timedelta(minutes=fact.resolve_minutes) if fact.resolve_minutes else None,
            business_hours=fact.business_hours,
        )
    return result


@dataclass(frozen=True)
class ClockRules:
    """How an agreement's clock behaves besides its targets (``sla.models.ResponseTerms``)."""

    warning_percent: int = 75
    pause_statuses: frozenset[str] = frozenset()  # ticket statuses that pause the clock
    breach_action: str = "notify"


DEFAULT_RULES = ClockRules()
