"""Factories for tenancy rows, shared by every app's tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import factory
from django.utils import timezone

from comanaged.tenancy.choices import PersonKind, UserLevel
from comanaged.tenancy.models import Absence, Client, Person, Site, StaffProfile, StaffRole, User, Vertical
from comanaged.tenancy.services import client_save

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


class VerticalFactory(factory.django.DjangoModelFactory[Vertical]):
    class Meta:
        model = Vertical
        django_get_or_create = ("slug",)

    slug = "healthcare"
    name = factory.LazyAttribute(lambda o: o.slug.title())


TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # a fixed test secret: tests derive the current code from it


def enrol_mfa(user: User, secret: str = TOTP_SECRET) -> None:
    """Give a user a TOTP authenticator, as enrolment would."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)


def make_staff(
    *roles: str, tier: int | None = None, verticals: Iterable[Vertical] = (), mfa: bool = True, **user: Any
) -> StaffProfile:
    """A staff member with these roles (a technician gets tier L1 unless told otherwise), enrolled
    in MFA unless ``mfa=False`` — staff must be, before anything else."""
    if "technician" in roles and tier is None:
        tier = 1
    account = UserFactory(is_staff=True, **user)
    if mfa:
        enrol_mfa(account)
    profile = StaffProfile.objects.create(user=account, tier=tier)
    profile.roles.set(StaffRole.rows(roles))
    profile.verticals.set(list(verticals))
    return profile


class ClientFactory(factory.django.DjangoModelFactory[Client]):
    """A client with the default Mon–Fri 08:00–17:00 hours, made through the service."""

    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    code = factory.Sequence(lambda n: f"client-{n}")
    time_zone = "America/New_York"
    holiday_country = "US"
    holiday_subdivision = "NY"

    @classmethod
    def _create(cls, model_class: type[Client], *args: Any, **kwargs: Any) -> Client:
        return client_save(client=model_class(*args, **kwargs), actor=None)


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Office {n}")
    city = "Albany"


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    client = factory.SubFactory(ClientFactory)
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@client.example")
    kind = PersonKind.EMPLOYEE
    level = UserLevel.END_USER


class AbsenceFactory(factory.django.DjangoModelFactory[Absence]):
    class Meta:
        model = Absence

    person = factory.SubFactory(PersonFactory, level=UserLevel.POC)
    client = factory.LazyAttribute(lambda o: o.person.client)
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))


def sign_in_person(person: Person) -> User:
    """Give a person a portal sign-in."""
    person.user = UserFactory(full_name=person.full_name)
    person.save(update_fields=["user"])
    return person.user
