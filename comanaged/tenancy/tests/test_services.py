"""Tenancy writes: bad input names its field and saves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from comanaged.core.errors import ApplicationError
from comanaged.core.models import AuditEntry
from comanaged.tenancy.choices import PersonKind, UserLevel
from comanaged.tenancy.models import Absence, BusinessHours, Client, Person, ProviderSettings, StaffProfile
from comanaged.tenancy.services import (
    absence_save,
    business_hours_save,
    client_save,
    person_save,
    provider_settings_update,
    staff_profile_save,
)
from comanaged.tenancy.tests.factories import (
    AbsenceFactory,
    ClientFactory,
    PersonFactory,
    SiteFactory,
    UserFactory,
    make_staff,
)

pytestmark = pytest.mark.django_db


def fields_of(error: ApplicationError) -> set[str | None]:
    return {p.field for p in error.problems}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "America/Gotham"}, "time_zone"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_country": "US", "holiday_subdivision": "ZZ"}, "holiday_subdivision"),
    ],
)
def test_a_client_with_an_unknown_zone_or_holiday_calendar_is_refused(changes, field):
    with pytest.raises(ApplicationError) as caught:
        client_save(client=Client(name="Nowhere Inc", code="nowhere", **changes), actor=None)
    assert field in fields_of(caught.value)
    assert not Client.objects.filter(code="nowhere").exists()
    assert not AuditEntry.objects.filter(object_type="tenancy.client").exists()


def test_holiday_codes_are_normalised_to_upper_case():
    client = client_save(
        client=Client(name="Albany Co", code="albany", holiday_country="us", holiday_subdivision="ny"), actor=None
    )
    assert (client.holiday_country, client.holiday_subdivision) == ("US", "NY")


@pytest.mark.parametrize("kind", [PersonKind.SERVICE_ACCOUNT, PersonKind.SHARED_MAILBOX])
@pytest.mark.parametrize("level", [UserLevel.VIP, UserLevel.POC, UserLevel.END_USER])
def test_r6_r7_an_account_that_is_not_a_person_cannot_have_a_user_level(kind, level):
    client = ClientFactory()
    with pytest.raises(ApplicationError) as caught:
        person_save(person=Person(client=client, full_name="svc-backup", kind=kind, level=level), actor=None)
    assert caught.value.code == "level_requires_person"
    assert caught.value.field == "level"
    assert not Person.objects.filter(full_name="svc-backup").exists()


def test_r7_a_service_account_without_a_level_is_recorded():
    client = ClientFactory()
    person = person_save(
        person=Person(client=client, full_name="svc-backup", kind=PersonKind.SERVICE_ACCOUNT), actor=None
    )
    assert person.pk and not person.level


def test_r6_a_person_needs_a_level():
    with pytest.raises(ApplicationError) as caught:
        person_save(person=Person(client=ClientFactory(), full_name="Ann", kind=PersonKind.EMPLOYEE), actor=None)
    assert caught.value.code == "level_required"


def test_a_person_cannot_sit_at_another_clients_site():
    other_site = SiteFactory()
    with pytest.raises(ApplicationError) as caught:
        person_save(
            person=Person(client=ClientFactory(), full_name="Ann", level=UserLevel.END_USER, site=other_site),
            actor=None,
        )
    assert caught.value.field == "site" and caught.value.code == "wrong_client"


def test_a_staff_sign_in_cannot_be_a_client_person():
    staff = make_staff("technician")
    with pytest.raises(ApplicationError) as caught:
        person_save(
            person=Person(client=ClientFactory(), full_name="Ann", level=UserLevel.POC, user=staff.user), actor=None
        )
    assert caught.value.code == "user_is_staff"


def test_r11_absences_are_for_pocs_only():
    end_user = PersonFactory(level=UserLevel.END_USER)
    now = timezone.now()
    with pytest.raises(ApplicationError) as caught:
        absence_save(absence=Absence(person=end_user, starts_at=now, ends_at=now + dt.timedelta(days=1)), actor=None)
    assert caught.value.code == "absence_not_poc" and caught.value.field == "person"
    assert not Absence.objects.exists()


def test_absences_of_one_poc_do_not_overlap_and_end_after_they_start():
    existing = AbsenceFactory()
    with pytest.raises(ApplicationError) as caught:
        absence_save(
            absence=Absence(
                person=existing.person,
                starts_at=existing.starts_at + dt.timedelta(hours=1),
                ends_at=existing.ends_at + dt.timedelta(days=1),
            ),
            actor=None,
        )
    assert caught.value.code == "absence_overlap"
    with pytest.raises(ApplicationError):
        absence_save(
            absence=Absence(
                person=existing.person,
                starts_at=existing.ends_at + dt.timedelta(days=3),
                ends_at=existing.ends_at + dt.timedelta(days=2),
            ),
            actor=None,
        )
    assert Absence.objects.count() == 1


def test_an_absence_takes_its_client_from_the_person_and_records_who_logged_it():
    poc = PersonFactory(level=UserLevel.POC)
    actor = UserFactory()
    now = timezone.now()
    absence = absence_save(absence=Absence(person=poc, starts_at=now, ends_at=now + dt.timedelta(days=1)), actor=actor)
    assert absence.client_id == poc.client_id and absence.recorded_by == actor


def test_business_hours_on_one_day_do_not_overlap():
    client = ClientFactory()  # Mon–Fri 08:00–17:00
    with pytest.raises(ApplicationError) as caught:
        business_hours_save(
            hours=BusinessHours(client=client, weekday=0, opens=dt.time(16), closes=dt.time(20)), actor=None
        )
    assert caught.value.code == "hours_overlap"
    evening = business_hours_save(
        hours=BusinessHours(client=client, weekday=0, opens=dt.time(18), closes=dt.time(0)), actor=None
    )
    assert evening.pk  # 00:00 closes at midnight


def test_technicians_need_a_tier_and_only_technicians_have_one():
    user = UserFactory()
    with pytest.raises(ApplicationError) as caught:
        staff_profile_save(profile=StaffProfile(user=user), actor=None, roles=["technician"])
    assert caught.value.field == "tier"
    with pytest.raises(ApplicationError):
        staff_profile_save(profile=StaffProfile(user=user, tier=2), actor=None, roles=["billing"])
    profile = staff_profile_save(profile=StaffProfile(user=user, tier=2), actor=None, roles=["technician"])
    assert profile.has_role("technician") and profile.user.is_staff


def test_provider_settings_are_one_row_with_usd_by_default():
    row = ProviderSettings.load()
    assert row.pk == 1 and row.currency == "USD"
    with pytest.raises(ApplicationError) as caught:
        provider_settings_update(actor=None, currency="DOLLARS")
    assert caught.value.field == "currency"
    assert ProviderSettings.load().currency == "USD"


def test_user_emails_are_unique_without_regard_to_case():
    UserFactory(email="ann@example.test")
    from comanaged.tenancy.services import user_create

    with pytest.raises(ApplicationError):
        user_create(email="ANN@example.test", full_name="Ann", password=None, actor=None)


def test_client_names_are_unique():
    ClientFactory(name="Acme", code="acme")
    with pytest.raises(ApplicationError) as caught:
        client_save(client=Client(name="Acme", code="acme-2"), actor=None)
    assert caught.value.field == "name"
