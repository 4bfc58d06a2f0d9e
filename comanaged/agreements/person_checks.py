"""Checks agreements adds to tenancy's writes (registered in ``apps.ready``)."""

from __future__ import annotations

from comanaged.agreements.errors import AgreementErrorCode
from comanaged.agreements.policy import poc_seat_problem
from comanaged.agreements.selectors import governing_agreement
from comanaged.core.errors import Problem
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.models import Person


def poc_seats_check(person: Person) -> list[Problem]:
    """R2: making someone a POC beyond the included seats needs the extra-POC fee."""
    if person.level != UserLevel.POC or not person.is_active or not person.client_id:
        return []
    agreement = governing_agreement(person.client_id)
    if agreement is None:
        return []
    others = (
        Person.objects.filter(client_id=person.client_id, level=UserLevel.POC, is_active=True)
        .exclude(pk=person.pk)
        .count()
    )
    problem = poc_seat_problem(
        poc_count=others + 1,
        included_pocs=agreement.included_pocs,
        extra_poc_fee=agreement.extra_poc_monthly_fee,
    )
    return [Problem(AgreementErrorCode.EXTRA_POC_FEE_REQUIRED, problem, "level")] if problem else []
