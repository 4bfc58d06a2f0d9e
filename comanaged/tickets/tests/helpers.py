"""Shared set-up of ticket tests: an active agreement with a POC and an end-user, complete tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from comanaged.agreements.services import agreement_activate
from comanaged.agreements.tests.factories import AgreementFactory
from comanaged.tenancy.tests.factories import ClientFactory, PersonFactory, UserFactory
from comanaged.tickets.categories import ensure_default_categories
from comanaged.tickets.models import Ticket, TicketCategory
from comanaged.tickets.services import ticket_log

TUESDAY_10AM_NY = dt.datetime(2026, 6, 9, 14, 0, tzinfo=dt.UTC)
TUESDAY_11PM_NY = dt.datetime(2026, 6, 10, 3, 0, tzinfo=dt.UTC)


def make_contract(plan: str = "co_managed", **fields: Any) -> tuple[Any, Any, Any]:
    with transaction.atomic():  # browser tests run in autocommit; row locks need a transaction
        return _make_contract(plan, **fields)


def _make_contract(plan: str, **fields: Any) -> tuple[Any, Any, Any]:
    ensure_default_categories()  # a transactional test before this one flushed them
    client = ClientFactory(time_zone="America/New_York")
    agreement = AgreementFactory(client=client, plan=plan, **fields)
    agreement_activate(agreement=agreement, actor=None)
    poc = PersonFactory(client=client, level="poc")
    end_user = PersonFactory(client=client, level="end_user")
    return agreement, poc, end_user


def category(name: str = "Password reset") -> TicketCategory:
    return TicketCategory.objects.get(name=name)


R14_FIELDS = {
    "title": "Outlook crashes",
    "priority": "P3",
    "description": "Outlook closes on start",
    "tried": "Safe mode, repair",
    "error_messages": "0x800ccc0e",
    "conditions": "Every morning",
}


def complete_ticket(agreement: Any, requester: Any, *, actor: Any = None, **fields: Any) -> Ticket:
    data = {
        "client": agreement.client,
        "requester": requester,
        "affected_person": requester,
        "category": category(),
        **R14_FIELDS,
    }
    data.update(fields)
    return ticket_log(ticket=Ticket(**data), actor=actor or UserFactory())
