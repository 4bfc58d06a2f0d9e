"""Tickets: internal handling (R15), escalation quality (R14), contract-aware verdicts (R10–R13,
R18, R19, R22, R23, R26, R27)."""

from __future__ import annotations

import datetime as dt

import pytest

from comanaged.agreements.models import ListedApplication
from comanaged.agreements.services import agreement_save
from comanaged.agreements.tests.factories import AgreementFactory
from comanaged.core.errors import ApplicationError
from comanaged.core.models import AuditEntry
from comanaged.tenancy.tests.factories import ClientFactory, PersonFactory, SiteFactory
from comanaged.tickets.choices import Impact, Urgency
from comanaged.tickets.models import Ticket, TicketCategory, TicketEvent
from comanaged.tickets.priority import suggest_priority
from comanaged.tickets.selectors import self_resolution
from comanaged.tickets.services import ticket_escalate, ticket_resolve
from comanaged.tickets.tests.helpers import TUESDAY_10AM_NY, TUESDAY_11PM_NY, category, complete_ticket, make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract():
    return make_contract


def test_default_categories_exist_with_billable_kinds():
    assert category("Workstation provisioning").billable_kind == "provisioning"
    assert category("MFA deployment").billable_kind == "mfa_deployment"
    assert category("Password reset").billable_kind == ""


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        (Impact.COMPANY, Urgency.STOPPED, "P1"),
        (Impact.DEPARTMENT, Urgency.STOPPED, "P2"),
        (Impact.USER, Urgency.STOPPED, "P2"),
        (Impact.COMPANY, Urgency.DEGRADED, "P3"),
        (Impact.USER, Urgency.IRRITATION, "P4"),
    ],
)
@pytest.mark.nodb
def test_r16_priority_suggestion_follows_the_definitions(impact, urgency, expected):
    assert suggest_priority(impact, urgency) == expected


def test_r14_escalation_names_every_missing_field_and_changes_nothing(contract):
    agreement, poc, _ = contract()
    ticket = complete_ticket(agreement, poc, category=None, priority="", tried="", error_messages=" ")
    with pytest.raises(ApplicationError) as caught:
        ticket_escalate(ticket=ticket, actor=None, escalating_person=poc, at=TUESDAY_10AM_NY)
    assert {p.field for p in caught.value.problems} == {"category", "priority", "tried", "error_messages"}
    assert all("R14" in p.message for p in caught.value.problems)
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.escalated_at is None


def test_r10_r13_a_poc_escalates_at_any_hour_and_the_verdict_is_stored(contract):
    agreement, poc, _ = contract()
    ticket = complete_ticket(agreement, poc)
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc, at=TUESDAY_11PM_NY)
    assert (ticket.status, ticket.tier, ticket.verdict) == ("escalated", "l1", "covered")
    assert ticket.escalated_at == TUESDAY_11PM_NY
    assert "R10" in ticket.verdict_reasons[0]["rules"]
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").exists()
    assert AuditEntry.objects.filter(action="escalate", object_id=str(ticket.pk)).exists()


def test_r10_an_end_user_on_co_managed_is_routed_to_the_poc(contract):
    agreement, _, end_user = contract()
    ticket = complete_ticket(agreement, end_user)
    with pytest.raises(ApplicationError) as caught:
        ticket_escalate(ticket=ticket, actor=None, escalating_person=end_user, at=TUESDAY_11PM_NY)
    assert caught.value.code == "route_to_poc"
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_r18_a_p1_service_request_is_covered_without_a_response_target(contract):
    agreement, poc, _ = contract()
    ticket = complete_ticket(agreement, poc, type="service_request", priority="P1")
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc, at=TUESDAY_10AM_NY)
    assert ticket.verdict == "covered_no_target" and ticket.verdict_reasons[0]["rules"] == ["R18"]


def test_r23_r4_billable_categories(contract):
    agreement, poc, _ = contract()
    for name in ("Workstation provisioning", "MFA deployment"):
        ticket = complete_ticket(agreement, poc, category=category(name))
        ticket_escalate(ticket=ticket, actor=None, escalating_person=poc, at=TUESDAY_10AM_NY)
        assert ticket.verdict == "billable"


def test_r19_r22_an_unlisted_application_is_out_of_scope(contract):
    agreement, poc, _ = contract()
    ListedApplication.objects.create(client=agreement.client, agreement=agreement, name="Dentrix Ascend")
    listed = complete_ticket(agreement, poc, application_name="dentrix  ascend")
    ticket_escalate(ticket=listed, actor=None, escalating_person=poc, at=TUESDAY_10AM_NY)
    assert listed.verdict == "covered"
    unlisted = complete_ticket(agreement, poc, application_name="Fortnite")
    ticket_escalate(ticket=unlisted, actor=None, escalating_person=poc, at=TUESDAY_10AM_NY)
    assert unlisted.verdict == "out_of_scope" and "R19" in unlisted.verdict_reasons[0]["rules"]


def test_r26_on_site_away_from_supported_offices_is_out_of_scope(contract):
    agreement, poc, _ = contract()
    office, home = SiteFactory(client=agreement.client), SiteFactory(client=agreement.client, name="Home office")
    agreement_save(agreement=agreement, actor=None, supported_offices=[office])
    at_home = complete_ticket(agreement, poc, on_site_requested=True, site=home)
    ticket_escalate(ticket=at_home, actor=None, escalating_person=poc, at=TUESDAY_10AM_NY)
    assert at_home.verdict == "out_of_scope" and "R26" in at_home.verdict_reasons[0]["rules"]


def test_links_stay_inside_the_client(contract):
    agreement, poc, _ = contract()
    stranger = PersonFactory()
    with pytest.raises(ApplicationError) as caught:
        complete_ticket(agreement, poc, affected_person=stranger)
    assert caught.value.field == "affected_person"
    assert not Ticket.objects.exists()


def test_r15_self_resolution_share_per_client_and_category(contract):
    agreement, poc, end_user = contract()
    start, end = dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    for _ in range(3):
        ticket = complete_ticket(agreement, poc, affected_person=end_user)
        ticket_resolve(ticket=ticket, actor=None, resolution="Reset the profile")
    escalated = complete_ticket(agreement, poc, affected_person=end_user, category=category("Mailbox"))
    ticket_escalate(ticket=escalated, actor=None, escalating_person=poc, at=TUESDAY_10AM_NY)
    complete_ticket(agreement, poc, affected_person=poc)  # the POC's own issue: not an end-user ticket
    [overall] = self_resolution(client_id=agreement.client_id, start=start, end=end)
    assert (overall.internal, overall.escalated, overall.share) == (3, 1, 0.75)
    by_category = {
        row.category: row.share
        for row in self_resolution(client_id=agreement.client_id, start=start, end=end, by_category=True)
    }
    assert by_category == {"Password reset": 1.0, "Mailbox": 0.0}
    other = ClientFactory()
    assert self_resolution(client_id=other.pk, start=start, end=end)[0].share is None


def test_ticket_numbers_are_sequential():
    agreement = AgreementFactory()
    poc = PersonFactory(client=agreement.client, level="poc")
    first, second = complete_ticket(agreement, poc), complete_ticket(agreement, poc)
    assert second.number == first.number + 1


def test_only_admins_edit_the_category_tree(client):
    from django.urls import reverse

    from comanaged.core.testing import assert_isolated
    from comanaged.tenancy.tests.factories import make_staff

    target = category()
    assert_isolated(
        client,
        reverse("admin:tickets_ticketcategory_change", args=[target.pk]),
        method="post",
        data={"name": "Renamed", "is_active": "on"},
        owner=make_staff("admin").user,
        wrong_role=make_staff("dispatcher").user,
        state=lambda: TicketCategory.objects.get(pk=target.pk).name,
    )


@pytest.mark.nodb
def test_api_literals_match_the_model_choices():
    from typing import get_args

    from comanaged.tickets.schemas import LITERAL_CHOICES

    for literal, choices in LITERAL_CHOICES.items():
        assert set(get_args(literal)) == set(choices.values), choices.__name__


def test_the_default_tree_in_code_matches_migration_0002():
    from comanaged.tickets.categories import DEFAULTS

    names = {(c.parent.name if c.parent else None, c.name, c.billable_kind) for c in TicketCategory.objects.all()}
    expected = {(None, parent, "") for parent in DEFAULTS}
    expected |= {(parent, name, str(kind)) for parent, children in DEFAULTS.items() for name, kind in children}
    assert names == expected
