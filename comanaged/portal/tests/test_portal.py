"""The client portal: only a client's people, only their own client; a POC records their PTO."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from comanaged.agreements.services import agreement_activate
from comanaged.agreements.tests.factories import AgreementFactory
from comanaged.core.testing import assert_isolated
from comanaged.tenancy.models import Absence
from comanaged.tenancy.tests.factories import ClientFactory, PersonFactory, make_staff, sign_in_person

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture
def poc():
    client = ClientFactory(name="Brightside Dental", time_zone="America/New_York")
    agreement = AgreementFactory(client=client, plan="co_managed_plus")
    agreement_activate(agreement=agreement, actor=None)
    return sign_in_person(PersonFactory(client=client, level="poc", full_name="Chris Alvarez"))


@pytest.mark.parametrize("name", ["portal:home", "portal:people"])
def test_portal_pages_are_for_a_clients_people_only(client, poc, name):
    assert_isolated(client, reverse(name), owner=poc, wrong_role=make_staff("admin").user, login_path=LOGIN)


def test_r33_the_home_page_explains_the_agreement(client, poc):
    client.force_login(poc)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Co-managed+" in page and "1 h" in page and "24 h" in page  # R16 targets
    assert "Strategic Advisor" in page and "Technology Alignment Engineer" in page  # R5


def test_the_portal_never_shows_another_clients_records(client, poc):
    other = ClientFactory(name="Other Client Ltd")
    PersonFactory(client=other, level="poc", full_name="Secret Person")
    client.force_login(poc)
    for name in ("portal:home", "portal:people"):
        page = client.get(reverse(name)).content.decode()
        assert "Secret Person" not in page and "Other Client Ltd" not in page


def test_r11_a_poc_records_their_own_pto_in_their_time_zone(client, poc):
    client.force_login(poc)
    first = (timezone.now() + dt.timedelta(days=5)).date()
    response = client.post(
        reverse("portal:people"),
        {"kind": "pto", "first_day": first.isoformat(), "last_day": (first + dt.timedelta(days=2)).isoformat()},
    )
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert absence.person == poc.person
    new_york = ZoneInfo("America/New_York")
    assert absence.starts_at.astimezone(new_york).replace(tzinfo=None) == dt.datetime.combine(first, dt.time(0))
    assert absence.ends_at.astimezone(new_york).replace(tzinfo=None) == dt.datetime.combine(
        first + dt.timedelta(days=3), dt.time(0)
    )


def test_bad_pto_input_is_refused_and_saves_nothing(client, poc):
    client.force_login(poc)
    response = client.post(
        reverse("portal:people"), {"kind": "holiday", "first_day": "2026-12-10", "last_day": "2026-12-01"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"kind", "last_day"}
    assert not Absence.objects.exists()


def test_an_end_user_cannot_record_pto(client, poc):
    end_user = sign_in_person(PersonFactory(client=poc.person.client, level="end_user"))
    client.force_login(end_user)
    response = client.post(
        reverse("portal:people"), {"kind": "pto", "first_day": "2026-12-10", "last_day": "2026-12-11"}, follow=True
    )
    assert "Only a POC" in response.content.decode()
    assert not Absence.objects.exists()


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("9999-12-30", "9999-12-31", "first_day"),  # would overflow the end-of-day arithmetic
        ("2026-12-01", "2029-12-01", "last_day"),  # more than a year at once
    ],
)
def test_far_or_huge_pto_ranges_are_refused(client, poc, first, last, field):
    client.force_login(poc)
    response = client.post(reverse("portal:people"), {"kind": "pto", "first_day": first, "last_day": last})
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not Absence.objects.exists()
