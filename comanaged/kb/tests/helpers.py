"""People and contracts for the knowledge-base tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from comanaged.tenancy.tests.factories import make_staff, sign_in_person
from comanaged.tickets.tests.helpers import make_contract


@dataclass
class Company:
    """A client with an active agreement, a signed-in POC and a signed-in end-user."""

    agreement: Any
    client: Any
    poc: Any  # the POC's User
    end_user: Any  # the end-user's User
    poc_person: Any
    end_user_person: Any


def company(plan: str = "co_managed") -> Company:
    agreement, poc, end_user = make_contract(plan)
    return Company(agreement, agreement.client, sign_in_person(poc), sign_in_person(end_user), poc, end_user)


def technician() -> Any:
    return make_staff("technician").user
