"""Tenancy fails closed: who sees which clients (GUIDE convention 3)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from comanaged.tenancy.models import Client, Person, ProviderSettings
from comanaged.tenancy.tests.factories import ClientFactory, PersonFactory, UserFactory, make_staff, sign_in_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_clients():
    return ClientFactory(), ClientFactory()


def visible(user):
    return set(Client.objects.for_user(user))


def fresh(user):
    """The scope is cached on the user object for one request; a new request has a new object."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("role", ["admin", "dispatcher", "billing", "technician"])
def test_global_roles_and_technicians_see_every_client(two_clients, role):
    assert visible(make_staff(role).user) == set(two_clients)


def test_restricted_technicians_see_only_their_team_clients(two_clients):
    ProviderSettings.objects.update_or_create(pk=1, defaults={"restrict_technicians_to_assigned_clients": True})
    tech = make_staff("technician")
    two_clients[0].team.add(tech)
    assert visible(tech.user) == {two_clients[0]}


@pytest.mark.parametrize("role", ["strategic_advisor", "technology_alignment_engineer", "onboarding_pm"])
def test_advisors_and_project_managers_see_their_team_clients(two_clients, role):
    staff = make_staff(role)
    assert visible(staff.user) == set()
    two_clients[1].team.add(staff)
    assert visible(fresh(staff.user)) == {two_clients[1]}


def test_a_poc_sees_only_their_own_client_and_its_rows(two_clients):
    mine, theirs = two_clients
    poc = PersonFactory(client=mine, level="poc")
    PersonFactory(client=theirs)
    user = sign_in_person(poc)
    assert visible(user) == {mine}
    assert set(Person.objects.for_user(user)) == set(Person.objects.filter(client=mine))


@pytest.mark.parametrize("who", ["anonymous", "no_profile", "inactive_staff", "inactive_person", "no_roles"])
def test_everyone_else_sees_nothing(two_clients, who):
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "no_profile":
        user = UserFactory()
    elif who == "inactive_staff":
        user = make_staff("admin").user
        user.is_active = False
    elif who == "no_roles":
        user = make_staff().user
    else:
        person = PersonFactory(client=two_clients[0], level="poc", is_active=False)
        user = sign_in_person(person)
    assert visible(user) == set()
    assert Person.objects.for_user(user).count() == 0


def test_a_person_of_a_deactivated_client_sees_nothing(two_clients):
    user = sign_in_person(PersonFactory(client=two_clients[0], level="poc"))
    Client.objects.filter(pk=two_clients[0].pk).update(is_active=False)
    user.refresh_from_db()
    assert visible(user) == set()
