"""Response targets per agreement (R16), VIP targets (R9), and the clock they run on (R13)."""

from __future__ import annotations

import datetime as dt

import pytest

from comanaged.core.errors import ApplicationError
from comanaged.sla.models import ResponseTarget
from comanaged.sla.services import response_target_save
from comanaged.tenancy.models import BusinessHours
from comanaged.tenancy.tests.factories import PersonFactory
from comanaged.tickets.services import ticket_escalate
from comanaged.tickets.tests.helpers import complete_ticket, make_contract

pytestmark = pytest.mark.django_db

WEDNESDAY_3PM_NY = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)


def office_hours(client):
    BusinessHours.objects.filter(client=client).delete()
    for weekday in range(5):
        BusinessHours.objects.create(client=client, weekday=weekday, opens=dt.time(8), closes=dt.time(17))


def escalate(agreement, requester, **fields):
    ticket = complete_ticket(agreement, requester, **fields)
    return ticket_escalate(ticket=ticket, actor=None, escalating_person=requester, at=WEDNESDAY_3PM_NY)


def test_r16_r13_without_terms_the_defaults_run_around_the_clock():
    agreement, poc, _ = make_contract()
    ticket = escalate(agreement, poc, priority="P3")
    assert ticket.respond_due_at == WEDNESDAY_3PM_NY + dt.timedelta(hours=14)


def test_r16_r13_a_business_hours_p3_skips_the_night_thanksgiving_and_the_weekend():
    agreement, poc, _ = make_contract()
    office_hours(agreement.client)
    agreement.client.holiday_country = "US"
    agreement.client.save()
    response_target_save(
        target=ResponseTarget(agreement=agreement, priority="P3", respond_minutes=14 * 60, clock="business_hours"),
        actor=None,
    )
    ticket = escalate(agreement, poc, priority="P3")
    assert ticket.respond_due_at == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # Monday 11:00 EST


def test_r9_a_vip_affected_person_gets_the_vip_target():
    agreement, poc, _ = make_contract()
    vip = PersonFactory(client=agreement.client, level="vip")
    response_target_save(
        target=ResponseTarget(agreement=agreement, priority="P2", respond_minutes=120, vip_respond_minutes=30),
        actor=None,
    )
    ticket = escalate(agreement, poc, priority="P2", affected_person=vip)
    assert ticket.respond_due_at == WEDNESDAY_3PM_NY + dt.timedelta(minutes=30)
    other = escalate(agreement, poc, priority="P2")
    assert other.respond_due_at == WEDNESDAY_3PM_NY + dt.timedelta(hours=2)


@pytest.mark.parametrize("minutes", [0, -5, 60 * 24 * 31])
def test_targets_of_zero_negative_or_absurd_minutes_are_refused(minutes):
    agreement, _, _ = make_contract()
    with pytest.raises(ApplicationError) as caught:
        response_target_save(
            target=ResponseTarget(agreement=agreement, priority="P1", respond_minutes=minutes), actor=None
        )
    assert caught.value.field == "respond_minutes"
    assert not ResponseTarget.objects.exists()


def test_the_business_hours_clock_needs_business_hours():
    agreement, _, _ = make_contract()
    BusinessHours.objects.filter(client=agreement.client).delete()
    with pytest.raises(ApplicationError) as caught:
        response_target_save(
            target=ResponseTarget(agreement=agreement, priority="P1", respond_minutes=60, clock="business_hours"),
            actor=None,
        )
    assert caught.value.code == "no_business_hours"


def test_the_admin_page_is_scoped_role_gated_and_audited(client):
    from django.urls import reverse

    from comanaged.core.models import AuditEntry
    from comanaged.core.testing import assert_isolated
    from comanaged.tenancy.tests.factories import make_staff

    agreement, _, _ = make_contract()
    target = response_target_save(
        target=ResponseTarget(agreement=agreement, priority="P1", respond_minutes=60), actor=None
    )
    assert_isolated(
        client,
        reverse("admin:sla_responsetarget_change", args=[target.pk]),
        method="post",
        data={"agreement": agreement.pk, "priority": "P1", "respond_minutes": 45, "clock": "24x7"},
        owner=make_staff("billing").user,
        wrong_role=make_staff("technician").user,
        state=lambda: ResponseTarget.objects.get(pk=target.pk).respond_minutes,
    )
    assert ResponseTarget.objects.get(pk=target.pk).respond_minutes == 45
    assert AuditEntry.objects.filter(object_type="sla.responsetarget", action="update").exists()
