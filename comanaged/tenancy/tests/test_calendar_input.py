"""Bad calendars are refused with a clear message and nothing is saved (R13, R16): inverted or
overlapping hours (one row, or several rows edited together in the admin), a holiday country or
subdivision that does not exist. (The business-hours clock on a calendar with no working time is
refused by ``sla``: see ``sla/tests/test_api.py``.)"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from comanaged.api.services import token_issue
from comanaged.core.errors import ApplicationError
from comanaged.core.models import AuditEntry
from comanaged.tenancy.calendar import intervals_overlap, week_overlaps
from comanaged.tenancy.models import BusinessHours, Client
from comanaged.tenancy.services import business_hours_save
from comanaged.tenancy.tests.factories import ClientFactory, make_staff

T = dt.time


def week(client: Client) -> list[tuple[int, dt.time, dt.time]]:
    return list(
        BusinessHours.objects.filter(client=client)
        .order_by("weekday", "opens")
        .values_list("weekday", "opens", "closes")
    )


OFFICE_WEEK = [(day, T(8), T(17)) for day in range(5)]


@pytest.mark.nodb
def test_overlap_arithmetic_treats_midnight_as_the_end_of_the_day_and_touching_ends_as_apart():
    assert intervals_overlap((T(8), T(12)), (T(11), T(17)))
    assert not intervals_overlap((T(8), T(12)), (T(12), T(17)))
    assert intervals_overlap((T(18), T(0)), (T(23), T(0)))
    assert not intervals_overlap((T(0), T(8)), (T(18), T(0)))
    assert intervals_overlap((T(0), T(0)), (T(9), T(10)))  # the whole day
    rows = [(0, T(8), T(12)), (0, T(10), T(11)), (0, T(11, 30), T(13)), (1, T(10), T(11)), (0, T(13), T(14))]
    assert week_overlaps(rows) == [
        ((0, T(8), T(12)), (0, T(10), T(11))),
        ((0, T(8), T(12)), (0, T(11, 30), T(13))),
    ]


# --- one row at a time (services, the API's and the pages' path) ---------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("opens", "closes", "field", "words"),
    [
        (T(17), T(8), "closes", "Closing time must be after opening time"),
        (T(9), T(9), "closes", "Closing time must be after opening time"),
        (T(16), T(20), "opens", "Monday 16:00–20:00 overlaps Monday 08:00–17:00"),
        (T(0), T(0), "opens", "overlaps Monday 08:00–17:00"),
        (T(7), T(8, 1), "opens", "intervals of one day must not overlap"),
    ],
)
def test_inverted_or_overlapping_hours_are_refused_with_a_clear_message_and_nothing_saved(opens, closes, field, words):
    client = ClientFactory()  # Mon–Fri 08:00–17:00
    with pytest.raises(ApplicationError) as caught:
        business_hours_save(hours=BusinessHours(client=client, weekday=0, opens=opens, closes=closes), actor=None)
    assert [p.field for p in caught.value.problems] == [field]  # one message, beside its field
    assert words in caught.value.message
    assert week(client) == OFFICE_WEEK
    assert not AuditEntry.objects.filter(object_type="tenancy.businesshours").exists()


@pytest.mark.django_db
def test_hours_that_touch_or_run_to_midnight_are_fine():
    client = ClientFactory()
    business_hours_save(hours=BusinessHours(client=client, weekday=0, opens=T(17), closes=T(0)), actor=None)
    business_hours_save(hours=BusinessHours(client=client, weekday=0, opens=T(0), closes=T(8)), actor=None)
    assert len(week(client)) == 7


@pytest.mark.django_db
def test_moving_a_stored_interval_onto_another_is_refused():
    client = ClientFactory()
    monday = BusinessHours.objects.get(client=client, weekday=0)
    evening = business_hours_save(hours=BusinessHours(client=client, weekday=0, opens=T(18), closes=T(20)), actor=None)
    evening.opens = T(16)
    with pytest.raises(ApplicationError) as caught:
        business_hours_save(hours=evening, actor=None)
    assert str(monday) in caught.value.message
    assert BusinessHours.objects.get(pk=evening.pk).opens == T(18)


# --- the admin: the client's page and its rows of hours ----------------------------------------


def client_form(client: Client, hours: list[dict[str, Any]], initial: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": client.name,
        "code": client.code,
        "is_active": "on",
        "time_zone": client.time_zone,
        "holiday_country": client.holiday_country,
        "holiday_subdivision": client.holiday_subdivision,
        "notes": "",
        "business_hours-TOTAL_FORMS": str(len(hours)),
        "business_hours-INITIAL_FORMS": str(initial),
        "closures-TOTAL_FORMS": "0",
        "closures-INITIAL_FORMS": "0",
        "sites-TOTAL_FORMS": "0",
        "sites-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(hours):
        for name, value in row.items():
            data[f"business_hours-{index}-{name}"] = value
    return data


def stored_rows(client: Client) -> list[dict[str, Any]]:
    return [
        {
            "id": row.pk,
            "client": client.pk,
            "weekday": row.weekday,
            "opens": f"{row.opens:%H:%M}",
            "closes": f"{row.closes:%H:%M}",
        }
        for row in BusinessHours.objects.filter(client=client).order_by("weekday", "opens")
    ]


def form_errors(response: Any) -> str:
    formsets = response.context["inline_admin_formsets"]
    return str([(f.formset.non_form_errors(), [form.errors for form in f.formset]) for f in formsets])


@pytest.fixture
def admin_http(client):
    client.force_login(make_staff("admin").user)
    return client


@pytest.mark.django_db
def test_two_new_rows_that_overlap_each_other_are_refused_in_the_admin_and_nothing_is_saved(admin_http):
    client = ClientFactory()
    rows = [
        *stored_rows(client),
        {"weekday": 5, "opens": "09:00", "closes": "13:00"},
        {"weekday": 5, "opens": "12:00", "closes": "15:00"},
    ]
    response = admin_http.post(
        reverse("admin:tenancy_client_change", args=[client.pk]), client_form(client, rows, initial=5)
    )
    assert response.status_code == 200
    assert "Saturday 09:00–13:00 overlaps Saturday 12:00–15:00" in form_errors(response)
    assert week(client) == OFFICE_WEEK


@pytest.mark.django_db
def test_an_inverted_row_is_refused_beside_its_field_in_the_admin(admin_http):
    client = ClientFactory()
    rows = [*stored_rows(client), {"weekday": 5, "opens": "13:00", "closes": "09:00"}]
    response = admin_http.post(
        reverse("admin:tenancy_client_change", args=[client.pk]), client_form(client, rows, initial=5)
    )
    assert response.status_code == 200
    assert "Closing time must be after opening time" in form_errors(response)
    assert week(client) == OFFICE_WEEK


@pytest.mark.django_db
def test_a_new_client_with_overlapping_hours_is_refused_in_the_admin_and_not_created(admin_http):
    draft = Client(name="Overlap Inc", code="overlap", time_zone="America/Chicago", holiday_country="US")
    rows = [{"weekday": 0, "opens": "08:00", "closes": "17:00"}, {"weekday": 0, "opens": "16:00", "closes": "18:00"}]
    response = admin_http.post(reverse("admin:tenancy_client_add"), client_form(draft, rows, initial=0))
    assert response.status_code == 200
    assert "Monday 08:00–17:00 overlaps Monday 16:00–18:00" in form_errors(response)
    assert not Client.objects.filter(code="overlap").exists()


@pytest.mark.django_db
def test_rows_edited_together_are_checked_as_the_week_they_make(admin_http):
    """Replacing an interval in one save (delete one, add one; or move two past each other) is
    fine: the week as submitted has no overlap, though the rows stored before did."""
    client = ClientFactory()
    rows = stored_rows(client)
    rows[0]["DELETE"] = "on"  # Monday 08:00–17:00 goes…
    rows.append({"weekday": 0, "opens": "09:00", "closes": "18:00"})  # …and its replacement comes
    rows[1]["closes"] = "12:00"  # Tuesday 08:00–12:00 …
    rows.append({"weekday": 1, "opens": "12:00", "closes": "17:00"})  # … and 12:00–17:00
    response = admin_http.post(
        reverse("admin:tenancy_client_change", args=[client.pk]), client_form(client, rows, initial=5)
    )
    assert response.status_code == 302, form_errors(response)
    assert week(client) == [
        (0, T(9), T(18)),
        (1, T(8), T(12)),
        (1, T(12), T(17)),
        *OFFICE_WEEK[2:],
    ]
    # Two stored rows moving past each other: Tuesday 08–12 → 08–14, 12–17 → 14–17.
    rows = stored_rows(client)
    rows[1]["closes"], rows[2]["opens"] = "14:00", "14:00"
    response = admin_http.post(
        reverse("admin:tenancy_client_change", args=[client.pk]), client_form(client, rows, initial=len(rows))
    )
    assert response.status_code == 302, form_errors(response)
    assert week(client)[1:3] == [(1, T(8), T(14)), (1, T(14), T(17))]


@pytest.mark.django_db
def test_a_row_moved_onto_another_is_refused_in_the_admin_and_nothing_is_saved(admin_http):
    client = ClientFactory()
    business_hours_save(hours=BusinessHours(client=client, weekday=0, opens=T(18), closes=T(20)), actor=None)
    rows = stored_rows(client)
    rows[1]["opens"] = "16:00"  # Monday evening onto Monday 08:00–17:00
    response = admin_http.post(
        reverse("admin:tenancy_client_change", args=[client.pk]), client_form(client, rows, initial=len(rows))
    )
    assert response.status_code == 200
    assert "Monday 08:00–17:00 overlaps Monday 16:00–20:00" in form_errors(response)
    assert (0, T(18), T(20)) in week(client)


# --- the holiday calendar -----------------------------------------------------------------------


def bearer(user) -> HttpClient:
    _, token = token_issue(user=user, name="test", scope="write", expires_in_days=30)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"holiday_country": "ZZ"}, "holiday_country", "ZZ is not a country with a public-holiday calendar"),
        ({"holiday_country": "Narnia"}, "holiday_country", "is not a country with a public-holiday calendar"),
        ({"holiday_subdivision": "XX"}, "holiday_subdivision", "XX is not a subdivision of US"),
        ({"holiday_country": "", "holiday_subdivision": "NY"}, "holiday_subdivision", "Choose a holiday country"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "not a known IANA time zone"),
    ],
)
def test_a_holiday_calendar_or_zone_that_does_not_exist_is_refused_and_nothing_saved(change, field, words):
    client = ClientFactory()  # US / NY
    before = Client.objects.filter(pk=client.pk).values().get()
    response = bearer(make_staff("admin").user).patch(
        f"/api/v1/clients/{client.pk}", json.dumps(change), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert field in {p["field"] for p in response.json()["problems"]}
    assert words in response.json()["message"]
    assert Client.objects.filter(pk=client.pk).values().get() == before


@pytest.mark.django_db
def test_a_holiday_country_that_does_not_exist_is_refused_in_the_admin(admin_http):
    client = ClientFactory()
    data = client_form(client, stored_rows(client), initial=5)
    data["holiday_country"] = "ZZ"
    response = admin_http.post(reverse("admin:tenancy_client_change", args=[client.pk]), data)
    assert response.status_code == 200
    assert "ZZ is not a country with a public-holiday calendar" in str(response.context["adminform"].form.errors)
    assert Client.objects.get(pk=client.pk).holiday_country == "US"
