"""R13: a client whose agreement measures a priority on business hours keeps some hours."""

from __future__ import annotations

import pytest
from django.urls import reverse

from comanaged.sla.models import ResponseTarget
from comanaged.sla.services import hours_in_use_problems, response_target_save
from comanaged.tenancy.models import BusinessHours
from comanaged.tenancy.tests.factories import make_staff
from comanaged.tenancy.tests.test_calendar_input import client_form, stored_rows
from comanaged.tickets.tests.helpers import make_contract

pytestmark = pytest.mark.django_db


def business_hours_p3(agreement):
    response_target_save(
        target=ResponseTarget(agreement=agreement, priority="P3", respond_minutes=840, clock="business_hours"),
        actor=None,
    )


def test_r13_removing_every_hour_under_a_business_hours_target_is_refused_in_the_admin(client):
    agreement, _, _ = make_contract()
    business_hours_p3(agreement)
    customer = agreement.client
    before = BusinessHours.objects.filter(client=customer).count()
    assert before
    client.force_login(make_staff("admin").user)
    rows = [{**row, "DELETE": "on"} for row in stored_rows(customer)]
    response = client.post(
        reverse("admin:tenancy_client_change", args=[customer.pk]),
        client_form(customer, rows, initial=len(rows)),
        follow=True,
    )
    assert "measures P3 on business hours" in response.content.decode()
    assert BusinessHours.objects.filter(client=customer).count() == before  # nothing was removed


def test_r13_without_such_a_target_the_hours_may_go():
    agreement, _, _ = make_contract()
    BusinessHours.objects.filter(client=agreement.client).delete()
    assert hours_in_use_problems(agreement.client) == []
    ResponseTarget.objects.create(  # a row stored before the hours went (the service refuses it now)
        agreement=agreement, client=agreement.client, priority="P2", respond_minutes=120, clock="business_hours"
    )
    assert [p.code for p in hours_in_use_problems(agreement.client)] == ["business_hours_in_use"]
