"""Extension points: checks that apps above tenancy add to tenancy's writes.

Example: agreements registers the R2 POC-seat check on people, so tenancy enforces a rule it
cannot import (apps import downward only) without the rule leaving its home.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from comanaged.core.errors import Problem

if TYPE_CHECKING:
    from comanaged.tenancy.models import Client, Person

PersonCheck = Callable[["Person"], Iterable[Problem]]
_person_checks: list[PersonCheck] = []
WeekCheck = Callable[["Client"], Iterable[Problem]]
_week_checks: list[WeekCheck] = []


def register_person_check(check: PersonCheck) -> None:
    if check not in _person_checks:
        _person_checks.append(check)


def person_checks() -> tuple[PersonCheck, ...]:
    return tuple(_person_checks)


def register_week_check(check: WeekCheck) -> None:
    """A check of a client's business hours as stored after an edit (e.g. sla: a business-hours
    clock needs some hours)."""
    if check not in _week_checks:
        _week_checks.append(check)


def week_checks() -> tuple[WeekCheck, ...]:
    return tuple(_week_checks)
